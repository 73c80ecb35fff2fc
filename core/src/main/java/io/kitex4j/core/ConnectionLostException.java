package io.kitex4j.core;

/**
 * The connection failed after the request was (perhaps partly) written and before the reply came:
 * the server may have processed the request.
 */
public final class ConnectionLostException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message and a cause. */
    public ConnectionLostException(String message, Throwable cause) {
        super(message, cause, true);
    }
}
