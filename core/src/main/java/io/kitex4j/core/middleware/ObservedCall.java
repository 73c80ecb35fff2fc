package io.kitex4j.core.middleware;

import io.kitex4j.core.rpc.CallContext;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.BiConsumer;

/**
 * The future a middleware that observes calls (tracing, metrics) returns for one call: it completes with the next
 * endpoint's outcome, and runs {@link #onEnd} exactly once <em>before</em> that, so whatever {@code onEnd} records
 * (a span ended, a timer stopped) is done before the caller, or the server's reply, sees the result. A cancellation
 * of this future (by the caller, by a server enforcing the deadline, or by a retrying middleware dropping an
 * attempt that lost a backup race) ends the call too, and is passed on to the next endpoint's future, so that the
 * attempt below is aborted and releases its connection.
 *
 * <p>One object per call serves as the returned future, the callback on the next endpoint's future and the
 * subclass's per-call state, so observing costs one allocation:
 *
 * <pre>{@code
 * Middleware timing = next -> (ctx, req) -> {
 *     long start = System.nanoTime();
 *     ObservedCall call = new ObservedCall() {
 *         protected void onEnd(Throwable failure) {
 *             timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
 *         }
 *     };
 *     return call.follow(ObservedCall.invoke(next, ctx, req));
 * };
 * }</pre>
 */
public abstract class ObservedCall extends CompletableFuture<Object> implements BiConsumer<Object, Throwable> {

    private static final AtomicIntegerFieldUpdater<ObservedCall> ENDED =
            AtomicIntegerFieldUpdater.newUpdater(ObservedCall.class, "ended");

    private volatile int ended;
    private volatile CompletableFuture<Object> followed;

    /** For subclasses. */
    protected ObservedCall() {
    }

    /**
     * {@code next.invoke(context, request)}, with an exception it throws or a {@code null} it returns turned into a
     * failed future, so an observing middleware sees every outcome as a future.
     */
    public static CompletableFuture<Object> invoke(Endpoint next, CallContext context, Object request) {
        final CompletableFuture<Object> f;
        try {
            f = next.invoke(context, request);
        } catch (Throwable t) {
            return CompletableFuture.failedFuture(t);
        }
        return f != null ? f : nullEndpointResult();
    }

    /**
     * Makes this future follow {@code next} (the next endpoint's future; {@code null} counts as a failure) and
     * returns this future, for the middleware to return.
     */
    public final CompletableFuture<Object> follow(CompletableFuture<Object> next) {
        final CompletableFuture<Object> f = next != null ? next : nullEndpointResult();
        followed = f;
        f.whenComplete(this);
        return this;
    }

    /** The next endpoint's outcome: ends the call, then completes this future the same way. */
    @Override
    public final void accept(Object value, Throwable failure) {
        try {
            end(failure);
        } finally {
            if (failure != null) {
                completeExceptionally(failure);
            } else {
                complete(value);
            }
        }
    }

    /**
     * Ends the call (with a {@link CancellationException}) if it has not ended yet, cancels this future, then the
     * followed one.
     */
    @Override
    public final boolean cancel(boolean mayInterruptIfRunning) {
        if (!isDone()) {
            end(new CancellationException("cancelled"));
        }
        final boolean cancelled = super.cancel(mayInterruptIfRunning);
        final CompletableFuture<Object> f = followed;
        if (cancelled && f != null) {
            f.cancel(mayInterruptIfRunning);
        }
        return cancelled;
    }

    private void end(Throwable failure) {
        if (ENDED.compareAndSet(this, 0, 1)) {
            onEnd(failure);
        }
    }

    /**
     * Called once per call, before this future completes: {@code failure} is {@code null} on success, else the
     * next endpoint's exception as the future reported it (possibly wrapped in a
     * {@link java.util.concurrent.CompletionException}) or a {@link CancellationException}. It should not throw; if it
     * does, this future still completes with the next endpoint's outcome and the exception is lost, so an
     * implementation that can fail should catch and log.
     */
    protected abstract void onEnd(Throwable failure);

    private static CompletableFuture<Object> nullEndpointResult() {
        return CompletableFuture.failedFuture(new NullPointerException("the next endpoint returned null"));
    }
}
