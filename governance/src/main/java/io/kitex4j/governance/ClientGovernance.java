package io.kitex4j.governance;

import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.TimeoutProvider;
import io.kitex4j.core.rpc.Timeouts;
import io.kitex4j.governance.internal.RetryMiddleware;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The governance of one kitex4j client (one caller calling one service): Kitex's retry container, service and
 * instance circuit breakers and timeout provider over {@link ClientPolicies} read from a {@link
 * ClientPolicySource} on every call, so that dynamic configuration (kitex4j-config-etcd) applies without a
 * restart.
 *
 * <pre>{@code
 * ClientGovernance g = ClientGovernance.builder()
 *         .policies(ClientPolicies.builder()
 *                 .retry("*", RetryPolicy.failure().maxRetryTimes(2).build())
 *                 .timeout("*", new TimeoutPolicy(Duration.ofMillis(500), null))
 *                 .build())
 *         .idempotent("Echo", "Get")
 *         .build();
 * KitexClient client = KitexClient.builder().service("echo").resolver(resolver)
 *         .middleware(g.middleware()).timeoutProvider(g.timeoutProvider()).instanceGate(g.instanceGate())
 *         .build();
 * }</pre>
 *
 * <p>{@link #middleware()} is the retry middleware with, inside it and so judging each attempt as Kitex's
 * {@code cbsuite} does under its retryer, the {@linkplain ServiceCircuitBreakers service circuit breakers}
 * ({@code from/to/method}, each method's {@link ClientPolicies#circuitBreaker(String) configuration} or
 * {@link Builder#serviceCircuitBreaker the default}, Kitex's 0.5/200 unless set) and the outcome recording of
 * the {@linkplain InstanceCircuitBreakers instance circuit breakers}, whose {@link #instanceGate() gate} keeps an
 * instance with too many connection failures and timeouts out of the client's picker. Both are on by default, as
 * a Go client built with config-etcd's client suite always has a service breaker.
 *
 * <p>Retries follow Kitex v0.16's {@code pkg/retry} (see {@link RetryPolicy}); each retried attempt carries the
 * persistent metainfo {@code RetryReq} (on the wire {@code RPC_PERSIST_RetryReq}, {@code "1"} for the second
 * attempt, {@code "2"} for the third), and a call made while serving a request that carries it is not retried
 * (chain stop) unless the policy disables chain stop. kitex4j adds one rule Kitex leaves to its users: a request
 * that may have reached the server (a timeout, a backup copy, an answer the classifier retries) is sent again
 * only for a method marked {@linkplain Builder#idempotent(String...) idempotent}; a oneway call never is.
 * Failures that prove the server never saw the request (a connect failure) may always be retried.
 */
public final class ClientGovernance {

    private final ClientPolicySource policies;
    private final RetryMiddleware retry;
    private final ServiceCircuitBreakers serviceBreakers;
    private final InstanceCircuitBreakers instanceBreakers;
    private final Middleware middleware;
    private final TimeoutProvider timeoutProvider;

    private ClientGovernance(Builder b) {
        this.policies = b.policies;
        this.retry = new RetryMiddleware(b.policies, Set.copyOf(b.idempotent), b.classifier,
                b.scheduler != null ? b.scheduler : SharedScheduler.INSTANCE);
        final ServiceCircuitBreakers.Builder sb = ServiceCircuitBreakers.builder().policies(b.policies)
                .defaultConfig(b.serviceDefault).timings(b.timings);
        b.listeners.forEach(sb::listener);
        this.serviceBreakers = sb.build();
        if (b.instanceConfig.enabled()) {
            final InstanceCircuitBreakers.Builder ib = InstanceCircuitBreakers.builder().config(b.instanceConfig)
                    .timings(b.timings);
            b.listeners.forEach(ib::listener);
            this.instanceBreakers = ib.build();
        } else {
            this.instanceBreakers = null;
        }
        // retry( service breaker( instance outcomes( next ) ) ): each attempt is judged by both breakers.
        final Middleware service = serviceBreakers.middleware();
        final Middleware instance = instanceBreakers != null ? instanceBreakers.middleware() : null;
        this.middleware = next -> retry.wrap(service.wrap(instance != null ? instance.wrap(next) : next));
        this.timeoutProvider = context -> {
            final TimeoutPolicy t = policies.current().timeout(context.method());
            return t == null ? null : new Timeouts(t.rpcTimeout(), t.connectTimeout());
        };
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The client middleware: retries, backup requests and their stop rules, and around each attempt the service
     * circuit breaker and the instance breakers' recording. Register it as the innermost middleware that should
     * see a call once (tracing and metrics outside it see the call; middleware after it sees each attempt).
     */
    public Middleware middleware() {
        return middleware;
    }

    /**
     * The instance circuit breakers as the gate of the client's picker ({@code KitexClientBuilder.instanceGate}),
     * or {@code null} if they are {@linkplain Builder#instanceCircuitBreaker turned off} (which the builder
     * accepts as "no gate"). Without it the breakers count outcomes but no instance is left out.
     */
    public InstanceGate instanceGate() {
        return instanceBreakers;
    }

    /** The service circuit breakers, to read their states. */
    public ServiceCircuitBreakers serviceCircuitBreakers() {
        return serviceBreakers;
    }

    /** The instance circuit breakers, to read their states; {@code null} if turned off. */
    public InstanceCircuitBreakers instanceCircuitBreakers() {
        return instanceBreakers;
    }

    /**
     * The timeouts of each method from the policies ({@link ClientPolicies#timeout(String)}), for
     * {@code KitexClientBuilder.timeoutProvider}: a method without an entry keeps the client's. The RPC timeout
     * bounds each attempt.
     */
    public TimeoutProvider timeoutProvider() {
        return timeoutProvider;
    }

    /** The source of the policies. */
    public ClientPolicySource policies() {
        return policies;
    }

    @Override
    public String toString() {
        return "ClientGovernance{" + retry + ", " + serviceBreakers + ", " + instanceBreakers + '}';
    }

    /** Builds a {@link ClientGovernance}; {@link #build()} checks the settings. Not thread-safe. */
    public static final class Builder {
        private ClientPolicySource policies;
        private final Set<String> idempotent = new LinkedHashSet<>();
        private String invalidIdempotent;
        private RetryClassifier classifier;
        private ScheduledExecutorService scheduler;
        private CircuitBreakerConfig serviceDefault = CircuitBreakerConfig.DEFAULT;
        private CircuitBreakerConfig instanceConfig = CircuitBreakerConfig.DEFAULT;
        private CircuitBreakerTimings timings = CircuitBreakerTimings.DEFAULT;
        private final List<CircuitBreakerListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /**
         * The service circuit breaker of methods without a configuration of their own in the policies; default
         * {@link CircuitBreakerConfig#DEFAULT} (Kitex's: 0.5 over at least 200 calls). {@link
         * CircuitBreakerConfig#DISABLED} leaves breakers only to the methods the policies configure.
         */
        public Builder serviceCircuitBreaker(CircuitBreakerConfig defaultConfig) {
            this.serviceDefault = Objects.requireNonNull(defaultConfig, "defaultConfig");
            return this;
        }

        /**
         * The thresholds of every instance's breaker; default {@link CircuitBreakerConfig#DEFAULT}; {@link
         * CircuitBreakerConfig#DISABLED} turns instance breakers off ({@link ClientGovernance#instanceGate()} is
         * then {@code null}).
         */
        public Builder instanceCircuitBreaker(CircuitBreakerConfig config) {
            this.instanceConfig = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The breakers' window and open/half-open timings; default Kitex's ({@link CircuitBreakerTimings#DEFAULT}). */
        public Builder circuitBreakerTimings(CircuitBreakerTimings timings) {
            this.timings = Objects.requireNonNull(timings, "timings");
            return this;
        }

        /** Adds a listener of both kinds of breakers' state changes (e.g. {@code KitexMetrics.circuitBreakerListener()}). */
        public Builder circuitBreakerListener(CircuitBreakerListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** Where the policies come from: fixed {@link ClientPolicies}, or a dynamic source. Required. */
        public Builder policies(ClientPolicySource policies) {
            this.policies = Objects.requireNonNull(policies, "policies");
            return this;
        }

        /**
         * Marks methods idempotent ({@code "*"}: all), which lets their requests be sent again although they may
         * have been processed (timeouts, backup copies, classified answers). Adds to earlier calls.
         */
        public Builder idempotent(String... methods) {
            Objects.requireNonNull(methods, "methods");
            for (String m : methods) {
                if (m == null || m.isBlank()) {
                    invalidIdempotent = "idempotent: " + (m == null ? "null" : '"' + m + '"')
                            + " (expected: a method name or \"*\")";
                } else {
                    idempotent.add(m);
                }
            }
            return this;
        }

        /**
         * Which outcomes failure and mixed retries retry besides timeouts, for every method (Kitex's
         * {@code WithSpecifiedResultRetry}): it replaces each policy's own {@link RetryPolicy#classifier()}.
         * Default: each policy's.
         */
        public Builder classifier(RetryClassifier classifier) {
            this.classifier = Objects.requireNonNull(classifier, "classifier");
            return this;
        }

        /**
         * Runs backoff waits and backup-request timers; default a shared single daemon thread. Its tasks are
         * short: they start an attempt.
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * The governance.
         *
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public ClientGovernance build() {
            if (policies == null) {
                throw new IllegalArgumentException("policies: not set (expected: ClientPolicies or a ClientPolicySource)");
            }
            if (invalidIdempotent != null) {
                throw new IllegalArgumentException(invalidIdempotent);
            }
            if (scheduler != null && scheduler.isShutdown()) {
                throw new IllegalArgumentException("scheduler: shut down (expected: a running executor)");
            }
            return new ClientGovernance(this);
        }
    }

    /** The default scheduler: one daemon thread for the process, made when first needed. */
    private static final class SharedScheduler {
        static final ScheduledExecutorService INSTANCE = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "kitex4j-governance-scheduler");
            t.setDaemon(true);
            return t;
        });
    }
}
