package io.kitex4j.governance;

import io.kitex4j.core.RpcException;

/**
 * A retrying call gave up for a reason of its own rather than with the last attempt's failure, Kitex's
 * {@code kerrors.ErrRetry}: for instance no attempt may start after the policy's max duration. The message is
 * Kitex's ({@code retry error: retry[1] failed, exceed max duration[100ms], toService=echo, method=Echo,
 * remote=10.0.0.1:8888}); the cause is the last attempt's failure, if one failed.
 */
public class RetryFailedException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** An exception with Kitex's message {@code retry error: <detail>}. */
    public RetryFailedException(String detail, Throwable lastFailure) {
        super("retry error: " + detail, lastFailure, true);
    }
}
