package io.kitex4j.governance.internal;

import java.util.function.LongSupplier;

/**
 * The outcomes of the last {@code bucketNanos * buckets} nanoseconds, in a ring of buckets, as
 * bytedance/gopkg's {@code circuitbreaker.window} keeps them for Kitex's breakers (10 s in 100 buckets of
 * 100 ms by default): successes, failures and timeouts, the error rate {@code (failures + timeouts) /
 * samples}, and the run of consecutive errors. Thread-safe; each record is one short critical section
 * (no allocation).
 */
public final class ErrorWindow {

    /** Kitex's default bucket: 100 ms. */
    public static final long DEFAULT_BUCKET_NANOS = 100_000_000L;
    /** Kitex's default bucket count: 100 (a 10 s window). */
    public static final int DEFAULT_BUCKETS = 100;

    private final long bucketNanos;
    private final long[] successes;
    private final long[] failures;
    private final long[] timeouts;
    private final LongSupplier nanoClock;
    // The bucket index (time / bucketNanos) of the newest bucket written.
    private long newest;
    private long totalSuccesses;
    private long totalFailures;
    private long totalTimeouts;
    private long consecutiveErrors;
    private long errorStartNanos;

    /** A 10 s window of 100 buckets on {@link System#nanoTime()}. */
    public ErrorWindow() {
        this(DEFAULT_BUCKET_NANOS, DEFAULT_BUCKETS, System::nanoTime);
    }

    /**
     * A window of {@code buckets} buckets of {@code bucketNanos} each, on {@code nanoClock}.
     *
     * @throws IllegalArgumentException if either is not positive
     */
    public ErrorWindow(long bucketNanos, int buckets, LongSupplier nanoClock) {
        if (bucketNanos <= 0) {
            throw new IllegalArgumentException("bucketNanos: " + bucketNanos + " (expected: > 0)");
        }
        if (buckets <= 0) {
            throw new IllegalArgumentException("buckets: " + buckets + " (expected: > 0)");
        }
        this.bucketNanos = bucketNanos;
        this.successes = new long[buckets];
        this.failures = new long[buckets];
        this.timeouts = new long[buckets];
        this.nanoClock = nanoClock;
        this.newest = Math.floorDiv(nanoClock.getAsLong(), bucketNanos);
    }

    /** Records a success; ends a run of errors. */
    public synchronized void success() {
        successes[advance()]++;
        totalSuccesses++;
        consecutiveErrors = 0;
        errorStartNanos = 0;
    }

    /** Records a failure (not a timeout). */
    public synchronized void failure() {
        failures[advance()]++;
        totalFailures++;
        error();
    }

    /** Records a timeout. */
    public synchronized void timeout() {
        timeouts[advance()]++;
        totalTimeouts++;
        error();
    }

    private void error() {
        consecutiveErrors++;
        if (errorStartNanos == 0) {
            errorStartNanos = nanoClock.getAsLong() | 1;
        }
    }

    /** The outcomes in the window. */
    public synchronized long samples() {
        advance();
        return totalSuccesses + totalFailures + totalTimeouts;
    }

    /** {@code (failures + timeouts) / samples} in the window; 0 with no samples. */
    public synchronized double errorRate() {
        advance();
        final long samples = totalSuccesses + totalFailures + totalTimeouts;
        return samples == 0 ? 0 : (double) (totalFailures + totalTimeouts) / samples;
    }

    /** The successes in the window. */
    public synchronized long successes() {
        advance();
        return totalSuccesses;
    }

    /** The failures (not timeouts) in the window. */
    public synchronized long failures() {
        advance();
        return totalFailures;
    }

    /** The timeouts in the window. */
    public synchronized long timeouts() {
        advance();
        return totalTimeouts;
    }

    /** The errors since the last success (not bounded by the window, as gopkg's {@code ConseErrors}). */
    public synchronized long consecutiveErrors() {
        return consecutiveErrors;
    }

    /** How long the current run of errors has lasted, in nanoseconds; 0 if none ({@code ConseTime}). */
    public synchronized long consecutiveErrorNanos() {
        return errorStartNanos == 0 ? 0 : nanoClock.getAsLong() - errorStartNanos;
    }

    /** Forgets everything. */
    public synchronized void reset() {
        java.util.Arrays.fill(successes, 0);
        java.util.Arrays.fill(failures, 0);
        java.util.Arrays.fill(timeouts, 0);
        totalSuccesses = totalFailures = totalTimeouts = 0;
        consecutiveErrors = 0;
        errorStartNanos = 0;
        newest = Math.floorDiv(nanoClock.getAsLong(), bucketNanos);
    }

    /** Clears the buckets that left the window; returns the slot of now's bucket. */
    private int advance() {
        final int n = successes.length;
        final long now = Math.floorDiv(nanoClock.getAsLong(), bucketNanos);
        if (now > newest) {
            final long steps = Math.min(now - newest, n);
            for (long i = 1; i <= steps; i++) {
                final int slot = (int) Math.floorMod(newest + i, (long) n);
                totalSuccesses -= successes[slot];
                totalFailures -= failures[slot];
                totalTimeouts -= timeouts[slot];
                successes[slot] = failures[slot] = timeouts[slot] = 0;
            }
            newest = now;
        }
        return (int) Math.floorMod(newest, (long) n);
    }
}
