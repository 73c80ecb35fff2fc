package io.kitex4j.core;

import java.time.Duration;

/**
 * No reply came within the call's RPC timeout. Kitex's text is kept in the message
 * ({@code rpc timeout: timeout=...}).
 */
public final class RpcTimeoutException extends RpcException {

    private static final long serialVersionUID = 1L;

    private final transient Duration timeout;

    /**
     * An exception for a call that timed out.
     *
     * @param message the message
     * @param timeout the RPC timeout that passed
     * @param sent whether the request had been written when the timeout passed
     * @param cause an optional cause
     */
    public RpcTimeoutException(String message, Duration timeout, boolean sent, Throwable cause) {
        super(message, cause, sent);
        this.timeout = timeout;
    }

    /** The RPC timeout that passed. */
    public Duration timeout() {
        return timeout;
    }
}
