package io.kitex4j.core;

/**
 * Discovery has no instance of the called service (none registered, all skipped, or discovery not synced
 * before the timeout). The request was not sent.
 */
public final class NoInstanceException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message and an optional cause. */
    public NoInstanceException(String message, Throwable cause) {
        super(message, cause, false);
    }

    /** An exception with a message. */
    public NoInstanceException(String message) {
        this(message, null);
    }
}
