package io.kitex4j.thriftrpc.server;

/**
 * A kind of request or connection that a {@link KitexServer} refused or could not serve, as counted by
 * {@link KitexServer#rejections()}. Each kind is also logged on its own rate limit (see the "Logging"
 * section of thrift-rpc's README): a flood of one kind costs a counter, not a disk, and does not hide
 * the other kinds.
 *
 * <p>{@link #metricName()} is stable: it is what metrics report the kind under. Kinds may be added.
 */
public enum RejectionKind {
    /**
     * Bytes that no Kitex transport accepts (HTTP/2, Compact, garbage), a frame with inconsistent fields, a
     * message header that cannot be read, a message type other than CALL/ONEWAY, an empty method name,
     * or a connection closed in the middle of a message. No reply; the connection is closed.
     */
    MALFORMED_FRAME("malformed_frame", ServerConnectionHandler.class),
    /** A frame larger than {@link KitexServerBuilder#maxFrameBytes(int)}. No reply; the connection is closed. */
    FRAME_TOO_LARGE("frame_too_large", ServerConnectionHandler.class),
    /** A method or service that this server does not serve. An exception reply, then the connection is closed. */
    UNKNOWN_METHOD("unknown_method", ServerConnectionHandler.class),
    /**
     * Arguments nested deeper than {@link KitexServerBuilder#maxNestingDepth(int)}. A protocol error reply
     * (type 7), then the connection is closed.
     */
    NESTING_TOO_DEEP("nesting_too_deep", ServerConnectionHandler.class),
    /** Arguments that cannot be decoded. A protocol error reply (type 7), then the connection is closed. */
    ARGS_DECODE_FAILED("args_decode_failed", ServerCall.class),
    /**
     * A handler threw an exception that the IDL does not declare, or returned a result (or backward
     * values) that cannot be encoded. An exception reply; the connection stays open.
     */
    HANDLER_EXCEPTION("handler_exception", ServerCall.class),
    /** The handler executor refused the call (it is saturated or shutting down). An "over limit" reply. */
    EXECUTOR_REJECTED("executor_rejected", ServerCall.class),
    /** A bug of kitex4j's while serving a call or a connection. The connection is closed. */
    INTERNAL_ERROR("internal_error", ServerCall.class),
    /**
     * A connection over {@link KitexServerBuilder#maxConnections(int)}: closed at accept, before anything is
     * read from it.
     */
    TOO_MANY_CONNECTIONS("too_many_connections", ServerConnectionHandler.class),
    /**
     * A connection over {@link KitexServerBuilder#maxConnectionsPerIp(int)} from its remote IP: closed at
     * accept, before anything is read from it.
     */
    TOO_MANY_CONNECTIONS_PER_IP("too_many_connections_per_ip", ServerConnectionHandler.class),
    /**
     * A frame whose first bytes arrived more than {@link KitexServerBuilder#readTimeout(java.time.Duration)}
     * ago is still incomplete. The requests read before are answered, then the connection is closed.
     */
    READ_TIMEOUT("read_timeout", ServerConnectionHandler.class),
    /**
     * A connection reached {@link KitexServerBuilder#maxInFlightRequestsPerConnection(int)}: reading from it
     * pauses until a call is answered. Back-pressure, not an error: logged at INFO, nothing is refused.
     */
    IN_FLIGHT_LIMIT("in_flight_limit", ServerConnectionHandler.class),
    /**
     * A request over {@link KitexServerBuilder#maxQps(int)}: as Kitex's QPS limiter does, the connection is
     * closed without a reply (requests read before on it are not answered either); a Go client sees {@code
     * remote or network error: default codec read failed: EOF peer close}.
     */
    QPS_OVER_LIMIT("qps_over_limit", ServerConnectionHandler.class);

    private final String metricName;
    // Where the kind's log lines go; kept as the classes that logged them before kinds were counted.
    final Class<?> loggerClass;

    RejectionKind(String metricName, Class<?> loggerClass) {
        this.metricName = metricName;
        this.loggerClass = loggerClass;
    }

    /** The kind's stable name in snake case, e.g. {@code "nesting_too_deep"}. */
    public String metricName() {
        return metricName;
    }
}
