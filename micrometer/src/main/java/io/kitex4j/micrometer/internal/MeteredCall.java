package io.kitex4j.micrometer.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.BiConsumer;

import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.CallOutcome;

/**
 * One metered call, and the future its middleware returns: it records the meters when the next endpoint's future
 * completes, then completes itself with the same outcome, so the meters are up to date before the caller (or the
 * server's reply) sees the result. A cancellation of this future records the call as a failure. One object per call
 * serves as future, callback and the call's state.
 */
final class MeteredCall extends CompletableFuture<Object> implements BiConsumer<Object, Throwable> {

    private static final AtomicIntegerFieldUpdater<MeteredCall> ENDED =
            AtomicIntegerFieldUpdater.newUpdater(MeteredCall.class, "ended");

    private final CallMeters meters;
    private final CallContext context;
    private final long startNanos;
    private volatile int ended;

    MeteredCall(CallMeters meters, CallContext context, long startNanos) {
        this.meters = meters;
        this.context = context;
        this.startNanos = startNanos;
    }

    @Override
    public void accept(Object value, Throwable failure) {
        end(failure);
        if (failure != null) {
            completeExceptionally(failure);
        } else {
            complete(value);
        }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (!isDone()) {
            end(new CancellationException("cancelled"));
        }
        return super.cancel(mayInterruptIfRunning);
    }

    private void end(Throwable failure) {
        if (ENDED.compareAndSet(this, 0, 1)) {
            meters.finished(CallOutcome.of(failure), System.nanoTime() - startNanos, context.attempt());
        }
    }
}
