package io.kitex4j.thriftrpc.server;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.core.Transport;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * The call a handler is serving: who called, with which deadline and metainfo, over which
 * transport, and the backward metainfo to send with the response.
 *
 * <p>Inside a handler method, {@link #current()} returns it. To use it from another thread (for
 * example work the handler hands to another executor and waits for), capture it and
 * {@link #push()} it there:
 *
 * <pre>{@code
 * ServerCallContext ctx = ServerCallContext.current();
 * otherExecutor.submit(() -> {
 *     try (ServerCallContext.Scope ignored = ctx.push()) {
 *         ... ServerCallContext.current() and Metainfo.current() work here ...
 *     }
 * });
 * }</pre>
 *
 * <p>Everything except {@link #sendBackward(String, String)} is immutable; that method is
 * thread-safe. Values sent backward after the handler returned are ignored: the response has been
 * written by then.
 */
public final class ServerCallContext {

    // A FastThreadLocal: a set and remove per call allocate nothing (a ThreadLocal entry per set would).
    private static final FastThreadLocal<ServerCallContext> CURRENT = new FastThreadLocal<>();

    private final String serviceName;
    private final String method;
    private final int seqId;
    private final Transport transport;
    private final boolean oneway;
    private final TTHeader requestHeader;
    private final Metainfo metainfo;
    private final InetSocketAddress remoteAddress;
    private final Duration rpcTimeout;
    private final long deadlineNanos;
    private final Instant deadline;
    // Guarded by itself. Insertion order is kept so that the response header is deterministic.
    private final Map<String, String> backward = new LinkedHashMap<>();

    ServerCallContext(String serviceName, String method, int seqId, Transport transport, boolean oneway,
                      TTHeader requestHeader, Metainfo metainfo, InetSocketAddress remoteAddress, Duration rpcTimeout, long receivedNanos) {
        this.serviceName = serviceName;
        this.method = method;
        this.seqId = seqId;
        this.transport = transport;
        this.oneway = oneway;
        this.requestHeader = requestHeader;
        this.metainfo = metainfo;
        this.remoteAddress = remoteAddress;
        this.rpcTimeout = rpcTimeout;
        if (rpcTimeout != null) {
            deadlineNanos = receivedNanos + rpcTimeout.toNanos();
            // The monotonic deadline on the wall clock; reading the wall clock only here keeps it off
            // the path of calls without a timeout.
            deadline = Instant.now().plusNanos(deadlineNanos - System.nanoTime());
        } else {
            deadlineNanos = 0;
            deadline = null;
        }
    }

    /**
     * The call served by the current thread.
     *
     * @throws IllegalStateException if the thread is not running a handler and no context was
     *     {@linkplain #push() pushed}
     */
    public static ServerCallContext current() {
        final ServerCallContext ctx = CURRENT.get();
        if (ctx == null) {
            throw new IllegalStateException("no Kitex call is being served on this thread");
        }
        return ctx;
    }

    /** The call served by the current thread, or {@code null} if there is none. */
    public static ServerCallContext currentOrNull() {
        return CURRENT.get();
    }

    /**
     * Makes this context, and its metainfo ({@link Metainfo#current()}), current on this thread
     * until the returned scope is closed; closing restores what was current before. Use it with
     * try-with-resources.
     */
    public Scope push() {
        final ServerCallContext previous = CURRENT.get();
        CURRENT.set(this);
        final Metainfo.Scope metainfoScope = metainfo.attach();
        return () -> {
            try {
                metainfoScope.close();
            } finally {
                if (previous == null) {
                    CURRENT.remove();
                } else {
                    CURRENT.set(previous);
                }
            }
        };
    }

    /**
     * The IDL service serving the call (the name a client sends as TTHeader {@code isn}), e.g.
     * {@code EchoServer}.
     */
    public String serviceName() {
        return serviceName;
    }

    /** The IDL method name, as in the request's Thrift message. */
    public String method() {
        return method;
    }

    /** The Thrift sequence id of the request; the response echoes it. */
    public int seqId() {
        return seqId;
    }

    /** The transport of the request; the response uses the same. */
    public Transport transport() {
        return transport;
    }

    /** Whether the IDL declares the method {@code oneway}: nothing is sent back, not even errors. */
    public boolean isOneway() {
        return oneway;
    }

    /**
     * The caller's service name (TTHeader int key 3, FROM_SERVICE), or {@code ""} if the caller did
     * not send one (Kitex clients send it only with {@code transmeta.ClientTTHeaderHandler}).
     */
    public String callerService() {
        return intValue(MetaKeys.FROM_SERVICE);
    }

    /**
     * The method the caller was serving when it made this call (TTHeader int key 20, FROM_METHOD),
     * or {@code ""} if absent.
     */
    public String callerMethod() {
        return intValue(MetaKeys.FROM_METHOD);
    }

    /**
     * The RPC timeout the caller announced (TTHeader int key 12, RPC_TIMEOUT, in milliseconds), or
     * {@code null} if it sent none or a value that is not a positive integer.
     */
    public Duration rpcTimeout() {
        return rpcTimeout;
    }

    /**
     * When the caller gives up: the time the request was received plus {@link #rpcTimeout()}, or
     * {@code null} if there is no timeout. Kitex derives the handler's context deadline the same way
     * ({@code WithEnableContextTimeout}).
     */
    public Instant deadline() {
        return deadline;
    }

    /** Whether there is a {@link #deadline()} and it has passed. */
    public boolean isDeadlineExceeded() {
        return rpcTimeout != null && System.nanoTime() - deadlineNanos >= 0;
    }

    /**
     * The time left until the {@link #deadline()}, {@link Duration#ZERO} once it has passed, or
     * {@code null} if there is no deadline.
     */
    public Duration timeRemaining() {
        if (rpcTimeout == null) {
            return null;
        }
        final long left = deadlineNanos - System.nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    /**
     * The metainfo received ({@code RPC_TRANSIT_*} and {@code RPC_PERSIST_*} keys of a TTHeader
     * request; empty for other transports), ready for the next hop as Kitex's
     * {@code TransferForward} makes it: {@link Metainfo#transientValue} and
     * {@link Metainfo#transients()} read the received transient values, but a downstream call made
     * with it forwards only the persistent ones (and transients the handler adds). This is what
     * {@link Metainfo#current()} returns inside the handler; asynchronous code passes it explicitly.
     */
    public Metainfo metainfo() {
        return metainfo;
    }

    /** The request's TTHeader, or {@code null} if the transport has none. */
    public TTHeader requestHeader() {
        return requestHeader;
    }

    /** The address of the peer, as the socket sees it. */
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    /**
     * Sends a backward metainfo value to the caller: it is written as a raw (unprefixed) string key
     * in the response's TTHeader, as Kitex's {@code metainfo.SendBackwardValue} does, and a Kitex
     * caller reads it with {@code metainfo.RecvBackwardValue} (with
     * {@code metainfo.WithBackwardValues}). Over a transport without TTHeader it is lost, as with
     * Kitex. A key given twice keeps the last value. Keys the server writes itself
     * ({@code biz-status}, {@code biz-message}, {@code biz-extra}, {@code crrst}) take precedence.
     */
    public void sendBackward(String key, String value) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        synchronized (backward) {
            backward.put(key, value);
        }
    }

    /** The values sent with {@link #sendBackward(String, String)} so far. */
    public Map<String, String> backwardValues() {
        synchronized (backward) {
            return Collections.unmodifiableMap(new LinkedHashMap<>(backward));
        }
    }

    private String intValue(int key) {
        if (requestHeader == null) {
            return "";
        }
        final String v = requestHeader.intValue(key);
        return v == null ? "" : v;
    }

    @Override
    public String toString() {
        return "ServerCallContext{" + serviceName + '.' + method + ", seqId=" + seqId + ", transport=" + transport
               + ", remote=" + remoteAddress + (rpcTimeout != null ? ", timeout=" + rpcTimeout : "") + '}';
    }

    /** Undoes a {@link #push()}. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        /** Restores the context (and metainfo) that was current before the push. */
        @Override
        void close();
    }
}
