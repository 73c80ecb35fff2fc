package io.kitex4j.core;

/**
 * No connection to the picked instance could be opened, or the request could not be written to it. The
 * server cannot have received it.
 */
public final class ConnectFailedException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message and a cause. */
    public ConnectFailedException(String message, Throwable cause) {
        super(message, cause, false);
    }
}
