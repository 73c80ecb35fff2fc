package io.kitex4j.governance;

import io.kitex4j.core.rpc.CallContext;

/**
 * Decides, besides timeouts, which outcomes of an attempt a failure retry retries: Kitex's
 * {@code retry.ShouldResultRetry} ({@code ErrorRetry} and {@code RespRetry}). Called once per finished
 * attempt, on the thread that completed it; it must be fast and must not block.
 *
 * <pre>{@code
 * RetryClassifier busy = (ctx, result, error) -> error instanceof BizStatusException b && b.statusCode() == 503;
 * }</pre>
 */
@FunctionalInterface
public interface RetryClassifier {

    /** Retries nothing but what the policy retries anyway (timeouts, unless turned off). */
    RetryClassifier NONE = (context, result, error) -> false;

    /**
     * Whether to retry this outcome.
     *
     * @param context the call
     * @param result the attempt's result when it succeeded ({@code null} for {@code void}), else {@code null}
     * @param error the attempt's exception (a declared Thrift exception, a
     *     {@link io.kitex4j.core.BizStatusException}, an {@link io.kitex4j.core.RpcException}), or {@code null}
     */
    boolean shouldRetry(CallContext context, Object result, Throwable error);
}
