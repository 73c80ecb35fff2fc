package io.kitex4j.core;

/**
 * The base of every failure a kitex4j call reports, with the one fact a caller needs to decide
 * whether it may retry: {@link #mayHaveReachedServer()}.
 *
 * <table>
 *   <caption>kitex4j's call failures</caption>
 *   <tr><th>exception</th><th>what happened</th><th>may have reached the server</th></tr>
 *   <tr><td>{@link NoInstanceException}</td><td>discovery has no instance to call</td><td>no</td></tr>
 *   <tr><td>{@link ConnectFailedException}</td><td>no connection could be opened or written to</td><td>no</td></tr>
 *   <tr><td>{@link ClientClosedException}</td><td>the client (or its resources) is closed</td><td>no</td></tr>
 *   <tr><td>{@link RpcTimeoutException}</td><td>no reply within the RPC timeout</td><td>yes, if it was sent</td></tr>
 *   <tr><td>{@link ConnectionLostException}</td><td>the connection failed after the request was written</td><td>yes</td></tr>
 *   <tr><td>{@link RemoteApplicationException}</td><td>the server answered with a Thrift application error
 *       (unknown method, protocol error, handler exception...)</td><td>yes</td></tr>
 *   <tr><td>{@link BizStatusException}</td><td>the handler reported a business status</td><td>yes</td></tr>
 * </table>
 * Declared Thrift exceptions of the IDL ({@code throws (1: NotFound nf)}) are not
 * {@code RpcException}s: they are the generated classes, as in Kitex.
 */
public class RpcException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean mayHaveReachedServer;
    // Written by the middleware that ends the call, before the caller sees the exception.
    private volatile String extraMessage;

    /** An exception with a message, a cause (may be {@code null}) and whether the server may have seen the call. */
    protected RpcException(String message, Throwable cause, boolean mayHaveReachedServer) {
        super(message, cause);
        this.mayHaveReachedServer = mayHaveReachedServer;
    }

    /**
     * Whether the server may have received (and processed) the request. {@code false} means it certainly
     * did not, so the call may be retried even if it is not idempotent.
     */
    public boolean mayHaveReachedServer() {
        return mayHaveReachedServer;
    }

    /**
     * Appends {@code [extraMessage]} to the message, replacing what an earlier call appended (Kitex's
     * {@code DetailedError.WithExtraMsg}): a retrying middleware says why it stopped, e.g.
     * {@code [retried 2, retry circuit break, errRate=0.400, sample=20]} or {@code [chain stop retry]}.
     *
     * @param extraMessage the text, or {@code null} or empty for none
     */
    public void setExtraMessage(String extraMessage) {
        this.extraMessage = extraMessage == null || extraMessage.isEmpty() ? null : extraMessage;
    }

    /** What {@link #setExtraMessage} appended, or {@code null}. */
    public String extraMessage() {
        return extraMessage;
    }

    @Override
    public String getMessage() {
        final String extra = extraMessage;
        final String message = super.getMessage();
        return extra == null ? message : (message == null ? "" : message) + '[' + extra + ']';
    }
}
