package io.kitex4j.governance;

import java.util.Objects;

/**
 * A circuit breaker changed state, as Kitex's {@code CBSuite} reports it in its {@code service_cb} and
 * {@code instance_cb} events: which breaker, from which state to which, and the window's counts at that
 * moment.
 *
 * @param scope a service breaker ({@code from/to/method}) or an instance breaker (an address)
 * @param key the breaker's key: {@code from/to/method} (Kitex's {@code RPCInfo2Key}) or {@code host:port}
 * @param from the state it left
 * @param to the state it entered
 * @param successes the successes in the window
 * @param failures the failures (not timeouts) in the window
 * @param timeouts the timeouts in the window
 */
public record CircuitBreakerEvent(Scope scope, String key, CircuitBreakerState from, CircuitBreakerState to,
                                  long successes, long failures, long timeouts) {

    /** Which kind of breaker changed. */
    public enum Scope {
        /** A service breaker, keyed {@code from/to/method}. */
        SERVICE,
        /** An instance breaker, keyed by the instance's address. */
        INSTANCE
    }

    /** Checks the arguments. */
    public CircuitBreakerEvent {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }

    /** {@code (failures + timeouts) / samples}; 0 with no samples. */
    public double errorRate() {
        final long samples = successes + failures + timeouts;
        return samples == 0 ? 0 : (double) (failures + timeouts) / samples;
    }

    /** Kitex's event detail: {@code key: from -> to, (succ: s, err: f, timeout: t, rate: r)}. */
    @Override
    public String toString() {
        return scope.name().toLowerCase(java.util.Locale.ROOT) + "_cb " + key + ": " + from + " -> " + to
                + ", (succ: " + successes + ", err: " + failures + ", timeout: " + timeouts + ", rate: "
                + String.format(java.util.Locale.ROOT, "%f", errorRate()) + ')';
    }
}
