package io.kitex4j.governance;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.middleware.ObservedCall;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.governance.internal.Breaker;
import io.kitex4j.governance.internal.BreakerListeners;
import io.kitex4j.governance.internal.BreakerOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Kitex's service circuit breaker ({@code circuitbreak.CBSuite.ServiceCBMW}, which {@code
 * client.WithCircuitBreaker} installs): one breaker per {@code from/to/method} (Kitex's {@code RPCInfo2Key}:
 * the client's {@code fromService}, its {@code service}, the method), as a client {@link Middleware}.
 *
 * <pre>{@code
 * ServiceCircuitBreakers breakers = ServiceCircuitBreakers.builder()
 *         .policies(ClientPolicies.builder().circuitBreaker("Echo", new CircuitBreakerConfig(true, 0.3, 10)).build())
 *         .listener(event -> log.info("{}", event))
 *         .build();
 * KitexClient client = KitexClient.builder().service("echo").fromService("web").resolver(resolver)
 *         .middleware(breakers.middleware()).build();
 * }</pre>
 *
 * <p>Each call (each attempt, when inside retrying middleware, as in Kitex) reads its method's {@link
 * CircuitBreakerConfig} from the {@link ClientPolicySource} ({@link ClientPolicies#circuitBreaker(String)}, else
 * the {@linkplain Builder#defaultConfig default}, Kitex's {@link CircuitBreakerConfig#DEFAULT}); a disabled one
 * lets the call through uncounted. An open breaker fails the call at once with a {@link
 * CircuitBreakerOpenException} ({@code forbidden by circuitbreaker: service circuitbreak}); otherwise the
 * outcome is counted as Kitex's {@code ErrorTypeOnServiceLevel} counts it: a reply, a declared exception or a
 * business status is a success, an RPC timeout a timeout, no instance (and a closed client, a cancelled attempt)
 * is not counted, anything else is a failure. The state machine and its timings are gopkg's (see {@link
 * CircuitBreakerTimings}): over the 10 s window, at least {@code minSample} calls and an error rate of at least
 * {@code errorRate} open it at the failure that reaches them; 5 s later one probe goes through, then one per
 * 200 ms, and 2 successful probes close it; a failed probe opens it again. Configuration changes apply to the
 * next call.
 *
 * <p>Thread-safe. A closed breaker costs a map lookup, a volatile read and the window's count per call.
 * Breakers live as long as this object (one per method called).
 */
public final class ServiceCircuitBreakers {

    private final ClientPolicySource policies;
    private final CircuitBreakerConfig defaultConfig;
    private final CircuitBreakerTimings timings;
    private final LongSupplier clock;
    private final BreakerListeners listeners;
    private final ConcurrentHashMap<String, Breaker> breakers = new ConcurrentHashMap<>();
    // The last breaker of each method, so that a call does not build its key: keys differ by from/to only
    // when one instance serves several clients.
    private final ConcurrentHashMap<String, Keyed> byMethod = new ConcurrentHashMap<>();
    private final Middleware middleware = this::wrap;

    private record Keyed(String from, String to, Breaker breaker) {}

    private ServiceCircuitBreakers(Builder b) {
        this.policies = b.policies;
        this.defaultConfig = b.defaultConfig;
        this.timings = b.timings;
        this.clock = b.nanoClock;
        this.listeners = new BreakerListeners(b.listeners);
    }

    /** A builder with Kitex's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The breaker key of a call: {@code from/to/method}, Kitex's {@code RPCInfo2Key}. */
    public static String key(String fromService, String toService, String method) {
        return fromService + '/' + toService + '/' + method;
    }

    /**
     * The client middleware. Put it inside retrying middleware (each attempt is judged, as in Kitex, where the
     * service breaker runs inside the retryer) and outside anything that should not run for a rejected call.
     * Calls on a server are passed through.
     */
    public Middleware middleware() {
        return middleware;
    }

    /** The state of the breaker of {@code key} ({@link #key}); {@code CLOSED} for one never used. */
    public CircuitBreakerState state(String key) {
        final Breaker b = breakers.get(requireNonNull(key, "key"));
        return b == null ? CircuitBreakerState.CLOSED : b.state();
    }

    /** The state of every breaker used so far, by key. */
    public Map<String, CircuitBreakerState> states() {
        final Map<String, CircuitBreakerState> m = new LinkedHashMap<>();
        breakers.forEach((k, b) -> m.put(k, b.state()));
        return m;
    }

    /** The configuration a call of {@code method} uses now. */
    CircuitBreakerConfig config(String method) {
        final CircuitBreakerConfig c = policies.current().circuitBreaker(method);
        return c != null ? c : defaultConfig;
    }

    private Endpoint wrap(Endpoint next) {
        return (ctx, request) -> {
            if (ctx.side() != CallContext.Side.CLIENT) {
                return next.invoke(ctx, request);
            }
            final String method = ctx.method();
            if (!config(method).enabled()) {
                return next.invoke(ctx, request);
            }
            final Breaker b = breaker(ctx.callerService(), ctx.calleeService(), method);
            if (!b.isAllowed()) {
                return CompletableFuture.failedFuture(
                        new CircuitBreakerOpenException(CircuitBreakerEvent.Scope.SERVICE, b.key()));
            }
            // Recorded before the caller (or a retrying middleware deciding on the next attempt) sees the outcome.
            final ObservedCall call = new ObservedCall() {
                @Override
                protected void onEnd(Throwable failure) {
                    record(b, method, failure);
                }
            };
            return call.follow(ObservedCall.invoke(next, ctx, request));
        };
    }

    private void record(Breaker b, String method, Throwable error) {
        switch (BreakerOutcome.serviceLevel(error)) {
            case SUCCESS -> b.succeed();
            // Kitex reads the key's thresholds at each failure (svcTripFunc).
            case FAILURE -> b.fail(config(method));
            case TIMEOUT -> b.timeout(config(method));
            default -> {
                // Not counted.
            }
        }
    }

    private Breaker breaker(String from, String to, String method) {
        final Keyed k = byMethod.get(method);
        if (k != null && k.from.equals(from) && k.to.equals(to)) {
            return k.breaker;
        }
        final String key = key(from, to, method);
        final Breaker b = breakers.computeIfAbsent(key,
                x -> new Breaker(CircuitBreakerEvent.Scope.SERVICE, x, timings, clock, listeners));
        byMethod.put(method, new Keyed(from, to, b));
        return b;
    }

    @Override
    public String toString() {
        return "ServiceCircuitBreakers{breakers=" + breakers.size() + ", default=" + defaultConfig + '}';
    }

    /** Builds {@link ServiceCircuitBreakers}. Not thread-safe. */
    public static final class Builder {
        private ClientPolicySource policies = ClientPolicies.empty();
        private CircuitBreakerConfig defaultConfig = CircuitBreakerConfig.DEFAULT;
        private CircuitBreakerTimings timings = CircuitBreakerTimings.DEFAULT;
        private LongSupplier nanoClock = System::nanoTime;
        private final List<CircuitBreakerListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /**
         * Where each method's breaker configuration comes from ({@link ClientPolicies#circuitBreaker(String)});
         * default none (every method uses {@link #defaultConfig}).
         */
        public Builder policies(ClientPolicySource policies) {
            this.policies = policies;
            return this;
        }

        /** The configuration of a method without one; default {@link CircuitBreakerConfig#DEFAULT} (Kitex's). */
        public Builder defaultConfig(CircuitBreakerConfig defaultConfig) {
            this.defaultConfig = defaultConfig;
            return this;
        }

        /** The window and the open/half-open timings; default {@link CircuitBreakerTimings#DEFAULT} (Kitex's). */
        public Builder timings(CircuitBreakerTimings timings) {
            this.timings = timings;
            return this;
        }

        /** Adds a listener of state changes. */
        public Builder listener(CircuitBreakerListener listener) {
            listeners.add(listener);
            return this;
        }

        /** The clock, in nanoseconds as {@link System#nanoTime()} (the default); for tests. */
        public Builder nanoClock(LongSupplier nanoClock) {
            this.nanoClock = nanoClock;
            return this;
        }

        /**
         * The breakers.
         *
         * @throws IllegalArgumentException naming a missing argument
         */
        public ServiceCircuitBreakers build() {
            require(policies, "policies");
            require(defaultConfig, "defaultConfig");
            require(timings, "timings");
            require(nanoClock, "nanoClock");
            for (CircuitBreakerListener l : listeners) {
                require(l, "listener");
            }
            return new ServiceCircuitBreakers(this);
        }
    }

    static void require(Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": null (expected: a value)");
        }
    }
}
