package io.kitex4j.governance;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The governance policies of one client (one caller calling one service), per method, as config-etcd
 * keeps them under {@code /KitexConfig/<caller>/<callee>/{retry,rpc_timeout,circuit_break}}: a method's own
 * entry wins over the {@link #WILDCARD} entry. Immutable; a fixed {@link ClientPolicySource}.
 *
 * <pre>{@code
 * ClientPolicies policies = ClientPolicies.builder()
 *         .retry("*", RetryPolicy.failure().maxRetryTimes(2).build())
 *         .retry("Search", RetryPolicy.backup(Duration.ofMillis(30)).build())
 *         .timeout("*", new TimeoutPolicy(Duration.ofSeconds(1), Duration.ofMillis(100)))
 *         .circuitBreaker("Echo", new CircuitBreakerConfig(true, 0.3, 10))
 *         .build();
 * }</pre>
 */
public final class ClientPolicies implements ClientPolicySource {

    /** The method name that stands for every method without an entry of its own ({@code retry.Wildcard}). */
    public static final String WILDCARD = "*";

    private static final ClientPolicies EMPTY = new Builder().build();

    private final Map<String, RetryPolicy> retries;
    private final Map<String, TimeoutPolicy> timeouts;
    private final Map<String, CircuitBreakerConfig> circuitBreakers;

    private ClientPolicies(Builder b) {
        this.retries = Map.copyOf(b.retries);
        this.timeouts = Map.copyOf(b.timeouts);
        this.circuitBreakers = Map.copyOf(b.circuitBreakers);
    }

    /** No policies: no retry, the client's timeouts, Kitex's default service circuit breaker. */
    public static ClientPolicies empty() {
        return EMPTY;
    }

    /** A builder of policies. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these policies. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.retries.putAll(retries);
        b.timeouts.putAll(timeouts);
        b.circuitBreakers.putAll(circuitBreakers);
        return b;
    }

    /** Itself: fixed policies. */
    @Override
    public ClientPolicies current() {
        return this;
    }

    /** The retry policy of {@code method}: its own, else the wildcard's, else {@code null} (no retry). */
    public RetryPolicy retry(String method) {
        return lookup(retries, method);
    }

    /** The timeouts of {@code method}: its own, else the wildcard's, else {@code null} (the client's). */
    public TimeoutPolicy timeout(String method) {
        return lookup(timeouts, method);
    }

    /**
     * The service circuit breaker of {@code method}: its own, else the wildcard's, else {@code null} (the
     * governance's default, {@link CircuitBreakerConfig#DEFAULT} unless configured otherwise).
     */
    public CircuitBreakerConfig circuitBreaker(String method) {
        return lookup(circuitBreakers, method);
    }

    /** The retry entries as configured, keyed by method or {@link #WILDCARD}. */
    public Map<String, RetryPolicy> retries() {
        return retries;
    }

    /** The timeout entries as configured, keyed by method or {@link #WILDCARD}. */
    public Map<String, TimeoutPolicy> timeouts() {
        return timeouts;
    }

    /** The circuit breaker entries as configured, keyed by method or {@link #WILDCARD}. */
    public Map<String, CircuitBreakerConfig> circuitBreakers() {
        return circuitBreakers;
    }

    private static <T> T lookup(Map<String, T> map, String method) {
        if (map.isEmpty()) {
            return null;
        }
        final T own = map.get(method);
        return own != null ? own : map.get(WILDCARD);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientPolicies p && p.retries.equals(retries) && p.timeouts.equals(timeouts)
                && p.circuitBreakers.equals(circuitBreakers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(retries, timeouts, circuitBreakers);
    }

    @Override
    public String toString() {
        return "ClientPolicies{retry=" + retries + ", rpc_timeout=" + timeouts + ", circuit_break=" + circuitBreakers + '}';
    }

    /** Builds {@link ClientPolicies}. Not thread-safe. */
    public static final class Builder {
        private final Map<String, RetryPolicy> retries = new LinkedHashMap<>();
        private final Map<String, TimeoutPolicy> timeouts = new LinkedHashMap<>();
        private final Map<String, CircuitBreakerConfig> circuitBreakers = new LinkedHashMap<>();

        private Builder() {
        }

        /** The retry policy of {@code method} (or {@link #WILDCARD}); {@code null} removes it. */
        public Builder retry(String method, RetryPolicy policy) {
            put(retries, method, policy);
            return this;
        }

        /** The timeouts of {@code method} (or {@link #WILDCARD}); {@code null} removes them. */
        public Builder timeout(String method, TimeoutPolicy policy) {
            put(timeouts, method, policy);
            return this;
        }

        /** The service circuit breaker of {@code method} (or {@link #WILDCARD}); {@code null} removes it. */
        public Builder circuitBreaker(String method, CircuitBreakerConfig config) {
            put(circuitBreakers, method, config);
            return this;
        }

        private static <T> void put(Map<String, T> map, String method, T value) {
            Objects.requireNonNull(method, "method");
            if (method.isEmpty()) {
                throw new IllegalArgumentException("method: empty (expected: a method name or \"*\")");
            }
            if (value == null) {
                map.remove(method);
            } else {
                map.put(method, value);
            }
        }

        /** The policies. */
        public ClientPolicies build() {
            return new ClientPolicies(this);
        }
    }
}
