package io.kitex4j.micrometer.internal;

import io.kitex4j.core.middleware.ObservedCall;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.CallOutcome;

/**
 * One metered call, and the future its middleware returns: it records the meters when the next endpoint's future
 * completes, then completes itself with the same outcome, so the meters are up to date before the caller (or the
 * server's reply) sees the result. A cancellation of this future records the call as a failure. One object per call
 * serves as future, callback and the call's state.
 */
final class MeteredCall extends ObservedCall {

    private final CallMeters meters;
    private final CallContext context;
    private final long startNanos;

    MeteredCall(CallMeters meters, CallContext context, long startNanos) {
        this.meters = meters;
        this.context = context;
        this.startNanos = startNanos;
    }

    @Override
    protected void onEnd(Throwable failure) {
        meters.finished(CallOutcome.of(failure), System.nanoTime() - startNanos, context.attempt());
    }
}
