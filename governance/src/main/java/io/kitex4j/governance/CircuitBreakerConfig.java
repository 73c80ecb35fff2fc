package io.kitex4j.governance;

/**
 * A service circuit breaker's thresholds, Kitex's {@code circuitbreak.CBConfig} ({@code enable},
 * {@code err_rate}, {@code min_sample} in config-etcd's JSON): the breaker of one {@code from/to/method}
 * opens when, over its 10 s window, at least {@code minSample} calls were made and the share that failed
 * is at least {@code errorRate}. Kitex's default is enabled, 0.5 and 200.
 *
 * @param enabled whether the breaker acts (a disabled one lets every call through)
 * @param errorRate the failure share that opens it, in {@code (0, 1]}
 * @param minSample the calls in the window below which it never opens, {@code >= 1}
 */
public record CircuitBreakerConfig(boolean enabled, double errorRate, long minSample) {

    /** Kitex's default: enabled, error rate 0.5, minimum sample 200 ({@code defaultCBConfig}). */
    public static final CircuitBreakerConfig DEFAULT = new CircuitBreakerConfig(true, 0.5, 200);

    /** A breaker that never opens (Kitex's thresholds, {@code enable: false}). */
    public static final CircuitBreakerConfig DISABLED = new CircuitBreakerConfig(false, 0.5, 200);

    /**
     * Checks the thresholds.
     *
     * @throws IllegalArgumentException naming the argument out of range
     */
    public CircuitBreakerConfig {
        if (!(errorRate > 0 && errorRate <= 1)) {
            throw new IllegalArgumentException("errorRate: " + errorRate + " (expected: > 0 and <= 1)");
        }
        if (minSample < 1) {
            throw new IllegalArgumentException("minSample: " + minSample + " (expected: >= 1)");
        }
    }
}
