package io.kitex4j.governance;

import java.time.Duration;
import java.util.Objects;

/**
 * The timings of a circuit breaker, bytedance/gopkg's {@code circuitbreaker.Options} as Kitex uses them
 * ({@link #DEFAULT}): the window of outcomes ({@code buckets} buckets of {@code bucket} each: 10 s in 100),
 * how long an open breaker rejects everything before it lets a probe through ({@code coolingTimeout}, 5 s),
 * how far apart the probes of a half-open breaker are ({@code detectTimeout}, 200 ms), and how many
 * successful probes close it ({@code halfOpenSuccesses}, 2). Only tests should need others.
 *
 * @param bucket the time one bucket of the window covers, {@code > 0}
 * @param buckets the buckets in the window, {@code >= 1}
 * @param coolingTimeout from opening to the first probe, {@code > 0}
 * @param detectTimeout between two probes while half-open, {@code > 0}
 * @param halfOpenSuccesses the successful probes that close it, {@code >= 1}
 */
public record CircuitBreakerTimings(Duration bucket, int buckets, Duration coolingTimeout, Duration detectTimeout,
                                    int halfOpenSuccesses) {

    /** Kitex's: 100 buckets of 100 ms, cooling 5 s, probes 200 ms apart, 2 successes to close. */
    public static final CircuitBreakerTimings DEFAULT = new CircuitBreakerTimings(Duration.ofMillis(100), 100,
            Duration.ofSeconds(5), Duration.ofMillis(200), 2);

    /**
     * Checks the timings.
     *
     * @throws IllegalArgumentException naming the argument out of range
     * @throws NullPointerException naming a missing duration
     */
    public CircuitBreakerTimings {
        positive(bucket, "bucket");
        positive(coolingTimeout, "coolingTimeout");
        positive(detectTimeout, "detectTimeout");
        if (buckets < 1) {
            throw new IllegalArgumentException("buckets: " + buckets + " (expected: >= 1)");
        }
        if (halfOpenSuccesses < 1) {
            throw new IllegalArgumentException("halfOpenSuccesses: " + halfOpenSuccesses + " (expected: >= 1)");
        }
        if (bucket.toNanos() > Long.MAX_VALUE / buckets / 2) {
            throw new IllegalArgumentException("bucket: " + bucket + " x " + buckets + " (expected: a window < 100 years)");
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
        if (d.compareTo(Duration.ofDays(365)) > 0) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: <= 365 days)");
        }
    }

    /** The whole window: {@code bucket * buckets}. */
    public Duration window() {
        return bucket.multipliedBy(buckets);
    }
}
