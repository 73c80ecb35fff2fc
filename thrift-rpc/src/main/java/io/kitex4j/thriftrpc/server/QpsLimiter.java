package io.kitex4j.thriftrpc.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Kitex's server QPS limiter ({@code pkg/limiter/qps_limiter.go}, which {@code server.WithLimit} builds with a
 * 100 ms interval): a bucket of at most {@code limit} tokens that starts with {@code once = limit / 10} and gets
 * {@code once} more every interval (up to {@code limit}); each request takes one, and a request finding none is
 * over the limit. So a server idle for a second admits a burst of {@code limit}, then {@code limit} per second.
 *
 * <p>Kitex refills from a ticker goroutine; here the ticks that passed are applied by the first request after
 * them (the same tokens at every request, with no thread). {@link #update} is Kitex's {@code UpdateLimit}: the
 * new {@code once}, and no more tokens than it. Thread-safe; with no limit a request costs one volatile read.
 */
final class QpsLimiter {

    /** Kitex's interval for {@code WithLimit} ({@code server.go#buildLimiterWithOpt}). */
    static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LongSupplier clock;
    private volatile int limit;
    private volatile int once;
    private final AtomicInteger tokens = new AtomicInteger();
    // The time of the next tick not applied yet.
    private final AtomicLong nextTick;

    QpsLimiter(int limit, LongSupplier nanoClock) {
        this.clock = nanoClock;
        this.limit = limit;
        this.once = once(limit);
        tokens.set(once);
        nextTick = new AtomicLong(nanoClock.getAsLong() + INTERVAL_NANOS);
    }

    /** {@code calcOnce(100ms, limit)}: the tokens one interval adds. */
    static int once(int limit) {
        return Math.max(0, (int) (limit / (1_000_000_000.0 / INTERVAL_NANOS)));
    }

    int limit() {
        return limit;
    }

    /** Kitex's {@code UpdateLimit}. */
    synchronized void update(int newLimit) {
        // The ticks that passed apply to the old limit, as Kitex's ticker would have applied them.
        if (limit > 0) {
            refill();
        } else {
            nextTick.set(clock.getAsLong() + INTERVAL_NANOS);
        }
        final int o = once(newLimit);
        limit = newLimit;
        once = o;
        if (tokens.get() > o) {
            tokens.set(o);
        }
    }

    /** Kitex's {@code Acquire}: whether a request may be served. */
    boolean acquire() {
        if (limit <= 0) {
            return true;
        }
        refill();
        if (tokens.get() <= 0) {
            return false;
        }
        return tokens.decrementAndGet() >= 0;
    }

    private void refill() {
        final long now = clock.getAsLong();
        final long next = nextTick.get();
        if (now - next < 0) {
            return;
        }
        final long ticks = (now - next) / INTERVAL_NANOS + 1;
        if (!nextTick.compareAndSet(next, next + ticks * INTERVAL_NANOS)) {
            // Another request applies these ticks.
            return;
        }
        // Each tick adds once until the bucket is full: more ticks than limit/once + 1 change nothing.
        final int o = once;
        final long useful = o <= 0 ? 1 : Math.min(ticks, (long) limit / o + 2);
        for (long i = 0; i < useful; i++) {
            updateToken();
        }
    }

    /** Kitex's {@code updateToken}, one tick. */
    private void updateToken() {
        final int l = limit;
        if (l < tokens.get()) {
            return;
        }
        final int o = once;
        int delta = l - tokens.get();
        if (delta > o || delta < 0) {
            delta = o;
        }
        final int t = tokens.addAndGet(delta);
        if (t < o) {
            tokens.set(o);
        }
    }

    int tokens() {
        return tokens.get();
    }
}
