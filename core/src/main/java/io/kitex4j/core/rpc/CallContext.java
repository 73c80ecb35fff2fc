package io.kitex4j.core.rpc;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

/**
 * One RPC as client and server code and middleware see it, Kitex's {@code rpcinfo.RPCInfo}: who calls
 * whom ({@code From}/{@code To}), which method ({@code Invocation}), over which transport, with which
 * timeout and deadline, on which attempt, and the metainfo going forward and backward.
 *
 * <p>A client creates one per call (shared by every attempt a middleware makes); a server creates one
 * per request. The identity fields never change; {@link #metainfo()}, {@link #remoteAddress()},
 * {@link #attempt()} and the attributes may, and are safe to read from any thread.
 *
 * <pre>
 *                      client side                         server side
 *  callerService()     the client's own service name        the caller's, from the TTHeader
 *  callerMethod()      the method the caller is serving      the caller's, from the TTHeader
 *  calleeService()     the service it calls (discovery)     this server's service name
 *  idlService()        the IDL service (Thrift "service")   the IDL service that was routed to
 *  remoteAddress()     the instance picked (null before)    the peer's address
 * </pre>
 */
public interface CallContext {

    /**
     * Set to {@code true} by a client middleware before it invokes {@code next} again to send that attempt to
     * the instance the previous attempt used (Kitex's {@code RetrySameNode}). Unset or {@code false}, a further
     * attempt avoids every instance earlier attempts of the call used, while others are available. Read when
     * the attempt picks its instance.
     */
    AttributeKey<Boolean> SAME_INSTANCE = AttributeKey.of("kitex4j.sameInstance");

    /** Which end of the call this context belongs to. */
    enum Side {
        /** The calling side. */
        CLIENT,
        /** The serving side. */
        SERVER
    }

    /** Which end of the call this is. */
    Side side();

    /** The calling service's name; empty if unknown. */
    String callerService();

    /** The method the caller was serving when it made this call; empty if none or unknown. */
    String callerMethod();

    /** The called service's name (the name it registers under); empty if unknown. */
    String calleeService();

    /** The IDL service name (the Thrift {@code service}), e.g. {@code EchoServer}. */
    String idlService();

    /** The method name as it travels in the Thrift message. */
    String method();

    /** The transport the call travels over. */
    Transport transport();

    /** Whether the method is {@code oneway} (no reply). */
    boolean oneway();

    /**
     * The RPC timeout, or {@code null} if the call has none: on a client the timeout of each attempt (as in
     * Kitex, a retrying middleware bounds all attempts with its own max duration), on a server the caller's.
     */
    Duration rpcTimeout();

    /**
     * The deadline on the {@link System#nanoTime()} clock, or 0 if the call has no timeout: on a client that of
     * the latest attempt ({@link #rpcTimeout()} after the attempt started; before the first attempt,
     * {@code rpcTimeout} after the call started), on a server the request's.
     */
    long deadlineNanos();

    /**
     * The peer: on a client the instance the current attempt was sent to ({@code null} before an
     * instance is picked), on a server the remote end of the connection.
     */
    InetSocketAddress remoteAddress();

    /** The attempt, from 1: a client middleware that calls {@code next} again makes the next one. */
    int attempt();

    /**
     * The metainfo: on a client what the call sends, on a server what the request carried (already
     * made ready for the next hop, so calls the handler makes pass on only what they should).
     */
    Metainfo metainfo();

    /**
     * Replaces the metainfo: a client middleware changes what the call sends (before calling
     * {@code next}); a server middleware changes what the handler sees.
     */
    void setMetainfo(Metainfo metainfo);

    /**
     * The backward values: on a client those the server sent with its response (empty until the
     * response came), on a server those sent so far with {@link #sendBackward}. Unmodifiable.
     */
    Map<String, String> backwardValues();

    /**
     * Sends a value back with the response (Go's {@code metainfo.SendBackwardValue}); only on a server
     * and only before the handler completes. Over Buffered and Framed nothing is sent, as with Kitex.
     *
     * @throws UnsupportedOperationException on a client
     */
    void sendBackward(String key, String value);

    /**
     * The bytes of the last request frame this client sent, as they went on the wire (TTHeader, frame length
     * and Thrift message): the request of the latest attempt; 0 before it is encoded, or if unknown. 0 on a
     * server, which frames its reply on the I/O thread after the handler's outcome is known. Kitex's
     * {@code rpcinfo.RPCStats.SendSize()}.
     */
    default long sentBytes() {
        return 0;
    }

    /**
     * The bytes of the frame this side received, as they came off the wire (TTHeader, frame length and
     * Thrift message): on a client the response (0 until it came), on a server the request; 0 if unknown.
     * Kitex's {@code rpcinfo.RPCStats.RecvSize()}.
     */
    default long receivedBytes() {
        return 0;
    }

    /** The value middleware stored under {@code key}, or {@code null}. */
    <T> T attribute(AttributeKey<T> key);

    /** Stores a value for later middleware or for the code that made the call; {@code null} removes it. */
    <T> void setAttribute(AttributeKey<T> key, T value);

    /**
     * The context of the call the current thread is serving or making, or {@code null}: a server sets
     * it around its handler (and server middleware), so that a client call made there knows its caller.
     */
    static CallContext current() {
        return CurrentCallContext.get();
    }
}
