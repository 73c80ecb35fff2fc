package io.kitex4j.thriftrpc.server;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.CurrentCallContext;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * The call a server is serving, its {@link CallContext}: who called (TTHeader int keys 3 and 20), which IDL
 * service and method, with which deadline and metainfo, over which transport, and the backward metainfo to
 * send with the response. Server middleware receives it as its {@link CallContext}.
 *
 * <p>Inside a handler method (and in server middleware), {@link #current()} and {@link CallContext#current()}
 * return it. To use it from another thread (for example work the handler hands to another executor and
 * waits for), capture it and {@link #push()} it there:
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
 * An asynchronous handler ({@code AsyncIface}, or one returning a {@code CompletionStage}) sees
 * {@link #current()} and {@link Metainfo#current()} only while its method runs, not in the continuation
 * that completes it on another thread: capture the context (or its {@link #metainfo()}) at entry.
 *
 * <p>The identity of the call is immutable; {@link #setMetainfo}, {@link #sendBackward} and the attributes
 * are thread-safe. Values sent backward after the call completed are ignored: the response has been
 * written by then.
 */
public final class ServerCallContext implements CallContext {

    // A FastThreadLocal: a set and remove per call allocate nothing (a ThreadLocal entry per set would).
    private static final FastThreadLocal<ServerCallContext> CURRENT = new FastThreadLocal<>();

    private final String calleeService;
    private final String idlService;
    private final String method;
    private final int seqId;
    private final Transport transport;
    private final boolean oneway;
    private final Map<String, String> requestStrings;
    private final Map<Integer, String> requestInts;
    private volatile Metainfo metainfo;
    private final InetSocketAddress remoteAddress;
    private final Duration rpcTimeout;
    private final long deadlineNanos;
    private final Instant deadline;
    // Guarded by itself. Insertion order is kept so that the response header is deterministic.
    private final Map<String, String> backward = new LinkedHashMap<>();
    // Created on first use: most calls have no attribute.
    private volatile ConcurrentHashMap<AttributeKey<?>, Object> attributes;
    private final MethodDefinition definition;
    private final int receivedBytes;

    ServerCallContext(String calleeService, String idlService, String method, int seqId, Transport transport,
                      boolean oneway, TTHeader requestHeader, Metainfo metainfo, InetSocketAddress remoteAddress,
                      Duration rpcTimeout, long receivedNanos, MethodDefinition definition, int receivedBytes) {
        this.definition = definition;
        this.receivedBytes = receivedBytes;
        this.calleeService = calleeService;
        this.idlService = idlService;
        this.method = method;
        this.seqId = seqId;
        this.transport = transport;
        this.oneway = oneway;
        requestStrings = requestHeader == null ? Map.of() : requestHeader.strings();
        requestInts = requestHeader == null ? Map.of() : requestHeader.ints();
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
     * @throws IllegalStateException if the thread is not running a handler or server middleware and no
     *     context was {@linkplain #push() pushed}
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
     * Makes this context current on this thread ({@link #current()}, {@link CallContext#current()}), and
     * its metainfo ({@link Metainfo#current()}), until the returned scope is closed; closing restores what
     * was current before. Use it with try-with-resources, on one thread.
     */
    public Scope push() {
        final Scope context = enter();
        final Metainfo.Scope metainfoScope = metainfo.attach();
        return () -> {
            try {
                metainfoScope.close();
            } finally {
                context.close();
            }
        };
    }

    /** Makes this context current, without its metainfo; for the server, which restores it itself. */
    Scope enter() {
        final ServerCallContext previous = swapIn(this);
        final CurrentCallContext.Scope neutral = CurrentCallContext.enter(this);
        return () -> {
            neutral.close();
            restore(previous);
        };
    }

    /** Makes {@code ctx} the current one of this thread's and returns the previous one. Allocates nothing. */
    static ServerCallContext swapIn(ServerCallContext ctx) {
        final ServerCallContext previous = CURRENT.get();
        CURRENT.set(ctx);
        return previous;
    }

    /** Undoes {@link #swapIn}. */
    static void restore(ServerCallContext previous) {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }

    /** The method being served. */
    MethodDefinition definition() {
        return definition;
    }

    @Override
    public Side side() {
        return Side.SERVER;
    }

    /**
     * The caller's service name (TTHeader int key 3, FROM_SERVICE), or {@code ""} if the caller did
     * not send one (Kitex clients send it only with {@code transmeta.ClientTTHeaderHandler}).
     */
    @Override
    public String callerService() {
        return requestInts.getOrDefault(MetaKeys.FROM_SERVICE, "");
    }

    /**
     * The method the caller was serving when it made this call (TTHeader int key 20, FROM_METHOD),
     * or {@code ""} if absent.
     */
    @Override
    public String callerMethod() {
        return requestInts.getOrDefault(MetaKeys.FROM_METHOD, "");
    }

    /**
     * This server's service name ({@code KitexServerBuilder.serviceName}, by default the name it registers
     * under), or {@code ""}. The name the caller addressed (TTHeader int key 6, TO_SERVICE) is in
     * {@link #requestInts()}.
     */
    @Override
    public String calleeService() {
        return calleeService;
    }

    /**
     * The IDL service serving the call (the name a client sends as TTHeader {@code isn}), e.g.
     * {@code EchoServer}.
     */
    @Override
    public String idlService() {
        return idlService;
    }

    /** The IDL method name, as in the request's Thrift message. */
    @Override
    public String method() {
        return method;
    }

    /** The Thrift sequence id of the request; the response echoes it. */
    public int seqId() {
        return seqId;
    }

    /** The transport of the request; the response uses the same. */
    @Override
    public Transport transport() {
        return transport;
    }

    /** Whether the IDL declares the method {@code oneway}: nothing is sent back, not even errors. */
    @Override
    public boolean oneway() {
        return oneway;
    }

    /**
     * The RPC timeout the caller announced (TTHeader int key 12, RPC_TIMEOUT, in milliseconds), or
     * {@code null} if it sent none or a value that is not a positive integer.
     */
    @Override
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

    /** {@link #deadline()} on the {@link System#nanoTime()} clock, or 0 without a timeout. */
    @Override
    public long deadlineNanos() {
        return deadlineNanos;
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

    /** Always 1: a server sees each attempt as a call of its own. */
    @Override
    public int attempt() {
        return 1;
    }

    /**
     * The metainfo received ({@code RPC_TRANSIT_*} and {@code RPC_PERSIST_*} keys of a TTHeader
     * request; empty for other transports), ready for the next hop as Kitex's
     * {@code TransferForward} makes it: {@link Metainfo#transientValue} and
     * {@link Metainfo#transients()} read the received transient values, but a downstream call made
     * with it forwards only the persistent ones (and transients the handler adds). This is what
     * {@link Metainfo#current()} returns inside the handler (unless middleware
     * {@linkplain #setMetainfo replaced} it); asynchronous code passes it explicitly.
     */
    @Override
    public Metainfo metainfo() {
        return metainfo;
    }

    /**
     * Replaces the metainfo the handler sees: a server middleware calls it before {@code next}; the handler
     * then gets it from {@link #metainfo()} and {@link Metainfo#current()}.
     */
    @Override
    public void setMetainfo(Metainfo metainfo) {
        this.metainfo = requireNonNull(metainfo, "metainfo");
    }

    /**
     * The request's TTHeader string key-values ({@code isn}, {@code RPC_TRANSIT_*}, ...), unmodifiable;
     * empty if the transport has no TTHeader.
     */
    public Map<String, String> requestStrings() {
        return requestStrings;
    }

    /**
     * The request's TTHeader integer key-values (3 FROM_SERVICE, 6 TO_SERVICE, 9 TO_METHOD, 12 RPC_TIMEOUT,
     * ...), unmodifiable; empty if the transport has no TTHeader.
     */
    public Map<Integer, String> requestInts() {
        return requestInts;
    }

    /** The address of the peer, as the socket sees it. */
    @Override
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
     * Allowed until the call completes (for an asynchronous handler, until its callback or stage
     * completes); later values are ignored.
     */
    @Override
    public void sendBackward(String key, String value) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        synchronized (backward) {
            backward.put(key, value);
        }
    }

    /** The values sent with {@link #sendBackward(String, String)} so far, unmodifiable. */
    @Override
    public Map<String, String> backwardValues() {
        synchronized (backward) {
            return backward.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(backward));
        }
    }

    /**
     * The request frame's size on the wire. (The reply's is not known here: the I/O thread frames it after
     * the handler's outcome, so {@link #sentBytes()} stays 0 on a server.)
     */
    @Override
    public long receivedBytes() {
        return receivedBytes;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T attribute(AttributeKey<T> key) {
        requireNonNull(key, "key");
        final ConcurrentHashMap<AttributeKey<?>, Object> a = attributes;
        return a == null ? null : (T) a.get(key);
    }

    @Override
    public <T> void setAttribute(AttributeKey<T> key, T value) {
        requireNonNull(key, "key");
        ConcurrentHashMap<AttributeKey<?>, Object> a = attributes;
        if (a == null) {
            if (value == null) {
                return;
            }
            synchronized (this) {
                a = attributes;
                if (a == null) {
                    attributes = a = new ConcurrentHashMap<>();
                }
            }
        }
        if (value == null) {
            a.remove(key);
        } else {
            a.put(key, value);
        }
    }

    @Override
    public String toString() {
        return "ServerCallContext{" + idlService + '.' + method + ", seqId=" + seqId + ", transport=" + transport
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
