package io.kitex4j.governance;

import static io.kitex4j.governance.ServiceCircuitBreakers.require;
import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.middleware.ObservedCall;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.governance.internal.Breaker;
import io.kitex4j.governance.internal.BreakerListeners;
import io.kitex4j.governance.internal.BreakerOutcome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Kitex's instance circuit breakers ({@code CBSuite.InstanceCBMW}), one per instance address, as an {@link
 * InstanceGate} and the {@link #middleware()} that feeds it:
 *
 * <pre>{@code
 * InstanceCircuitBreakers instances = InstanceCircuitBreakers.builder().build();
 * KitexClient client = KitexClient.builder().service("echo").resolver(resolver)
 *         .instanceGate(instances)
 *         .middleware(instances.middleware())
 *         .build();
 * }</pre>
 *
 * <p>The middleware counts each attempt's outcome for the instance it went to ({@link CallContext#remoteAddress()}):
 * a connection that could not be opened or broke under the call is a failure, an RPC timeout a timeout, an answer
 * of any kind a success. With Kitex's thresholds ({@link CircuitBreakerConfig#DEFAULT}: at least 200 outcomes in
 * 10 s, half of them bad, or as {@link Builder#config configured}) an instance's breaker opens: the client's
 * picker leaves the instance out (picking again, as Kitex's resolver does when this breaker refuses), after 5 s
 * lets one probe call go to it every 200 ms, and 2 successes put it back. When every instance is out, calls fail
 * at once with a {@link CircuitBreakerOpenException} ({@code forbidden by circuitbreaker: instance circuitbreak}).
 * Timings are gopkg's ({@link CircuitBreakerTimings}).
 *
 * <p>One instance may serve several clients: they then share the breakers (Kitex's are per client; share only
 * among clients of one service). At most {@value #MAX_TRACKED} addresses are tracked: closed breakers with an
 * empty window are dropped to make room, and beyond that a new address is not tracked (always allowed).
 * Thread-safe.
 */
public final class InstanceCircuitBreakers implements InstanceGate {

    /** The most addresses tracked at once. */
    public static final int MAX_TRACKED = 4096;

    private final CircuitBreakerConfig config;
    private final CircuitBreakerTimings timings;
    private final LongSupplier clock;
    private final BreakerListeners listeners;
    private final ConcurrentHashMap<String, Breaker> breakers = new ConcurrentHashMap<>();
    // IPv6 literals written in other forms than Go's, to the form a socket address prints.
    private final ConcurrentHashMap<String, String> canonical = new ConcurrentHashMap<>();
    private final Middleware middleware = this::wrap;
    private volatile LastKey lastKey;

    private record LastKey(InetSocketAddress address, String key) {}

    private InstanceCircuitBreakers(Builder b) {
        this.config = b.config;
        this.timings = b.timings;
        this.clock = b.nanoClock;
        this.listeners = new BreakerListeners(b.listeners);
    }

    /** A builder with Kitex's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code instance}'s breaker lets a call through now (a half-open one: the probe of this period). */
    @Override
    public boolean allows(Instance instance) {
        if (!config.enabled() || breakers.isEmpty()) {
            return true;
        }
        final Breaker b = breakers.get(key(instance.address()));
        return b == null || b.isAllowed();
    }

    /** A {@link CircuitBreakerOpenException} with Kitex's {@code forbidden by circuitbreaker: instance circuitbreak}. */
    @Override
    public RuntimeException rejection(String service) {
        return new CircuitBreakerOpenException(CircuitBreakerEvent.Scope.INSTANCE, service);
    }

    /**
     * The client middleware that counts each attempt's outcome for its instance. Put it inside retrying
     * middleware, so that it sees each attempt. With backup requests, an attempt that ends after a later one
     * started is counted for the instance it was sent to only if it was picked synchronously (the usual case:
     * the instance list is known).
     */
    public Middleware middleware() {
        return middleware;
    }

    /** The state of the breaker of {@code address} ({@code host:port}); {@code CLOSED} if none is tracked. */
    public CircuitBreakerState state(String address) {
        final Breaker b = breakers.get(key(requireNonNull(address, "address")));
        return b == null ? CircuitBreakerState.CLOSED : b.state();
    }

    /** The state of every tracked breaker, by address. */
    public Map<String, CircuitBreakerState> states() {
        final Map<String, CircuitBreakerState> m = new LinkedHashMap<>();
        breakers.forEach((k, b) -> m.put(k, b.state()));
        return m;
    }

    private Endpoint wrap(Endpoint next) {
        return (ctx, request) -> {
            if (ctx.side() != CallContext.Side.CLIENT || !config.enabled()) {
                return next.invoke(ctx, request);
            }
            final CompletableFuture<Object> f = ObservedCall.invoke(next, ctx, request);
            // The instance as picked when next returned (the pick is synchronous once instances are known);
            // at completion the address of the context is that of the latest attempt, which is this one's unless
            // a backup started after it.
            final int attempt = ctx.attempt();
            final InetSocketAddress pickedNow = ctx.remoteAddress();
            // Recorded before the outcome is seen above (the service breaker, a retry deciding where to go next).
            final ObservedCall call = new ObservedCall() {
                @Override
                protected void onEnd(Throwable failure) {
                    final InetSocketAddress at = ctx.attempt() == attempt || pickedNow == null
                            ? ctx.remoteAddress() : pickedNow;
                    if (at != null) {
                        record(key(at), failure);
                    }
                }
            };
            return call.follow(f);
        };
    }

    private void record(String key, Throwable error) {
        final BreakerOutcome outcome = BreakerOutcome.instanceLevel(error);
        if (outcome == BreakerOutcome.IGNORE) {
            return;
        }
        final Breaker b = breaker(key);
        if (b == null) {
            return;
        }
        switch (outcome) {
            case SUCCESS -> b.succeed();
            case FAILURE -> b.fail(config);
            case TIMEOUT -> b.timeout(config);
            default -> {
            }
        }
    }

    private Breaker breaker(String key) {
        final Breaker b = breakers.get(key);
        if (b != null) {
            return b;
        }
        if (breakers.size() >= MAX_TRACKED) {
            sweep();
            if (breakers.size() >= MAX_TRACKED) {
                return null;
            }
        }
        return breakers.computeIfAbsent(key,
                k -> new Breaker(CircuitBreakerEvent.Scope.INSTANCE, k, timings, clock, listeners));
    }

    /** Drops closed breakers with an empty window, as gopkg's panel does at every bucket. */
    private void sweep() {
        for (Iterator<Breaker> it = breakers.values().iterator(); it.hasNext(); ) {
            final Breaker b = it.next();
            if (b.state() == CircuitBreakerState.CLOSED && b.samples() == 0) {
                it.remove();
            }
        }
    }

    /** The key of an instance address: as written, but an IPv6 literal as a socket address prints it. */
    private String key(String address) {
        if (address.indexOf(':') == address.lastIndexOf(':')) {
            return address;
        }
        final String c = canonical.get(address);
        if (c != null) {
            return c;
        }
        String k;
        try {
            final HostAndPort hp = HostAndPort.parse(address);
            k = hp.isIpv6() && isLiteral(hp.host())
                    ? new HostAndPort(HostAndPort.literal(InetAddress.getByName(hp.host())), hp.port()).toString()
                    : address;
        } catch (Exception e) {
            k = address;
        }
        if (canonical.size() >= MAX_TRACKED) {
            canonical.clear();
        }
        canonical.put(address, k);
        return k;
    }

    private static boolean isLiteral(String host) {
        for (int i = 0; i < host.length(); i++) {
            final char ch = host.charAt(i);
            if (!(ch == ':' || ch == '.' || ch == '%' || Character.digit(ch, 16) >= 0)) {
                return false;
            }
        }
        return true;
    }

    private String key(InetSocketAddress address) {
        final LastKey last = lastKey;
        if (last != null && last.address == address) {
            return last.key;
        }
        final String host = address.isUnresolved() || address.getAddress() == null ? address.getHostString()
                : HostAndPort.literal(address.getAddress());
        final String k = new HostAndPort(host, address.getPort()).toString();
        lastKey = new LastKey(address, k);
        return k;
    }

    @Override
    public String toString() {
        return "InstanceCircuitBreakers{tracked=" + breakers.size() + ", " + config + '}';
    }

    /** Builds {@link InstanceCircuitBreakers}. Not thread-safe. */
    public static final class Builder {
        private CircuitBreakerConfig config = CircuitBreakerConfig.DEFAULT;
        private CircuitBreakerTimings timings = CircuitBreakerTimings.DEFAULT;
        private LongSupplier nanoClock = System::nanoTime;
        private final List<CircuitBreakerListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /**
         * The thresholds of every instance's breaker (Kitex's {@code UpdateInstanceCBConfig}); default {@link
         * CircuitBreakerConfig#DEFAULT}, Kitex's instance default. A disabled config allows every instance.
         */
        public Builder config(CircuitBreakerConfig config) {
            this.config = config;
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
        public InstanceCircuitBreakers build() {
            require(config, "config");
            require(timings, "timings");
            require(nanoClock, "nanoClock");
            for (CircuitBreakerListener l : listeners) {
                require(l, "listener");
            }
            return new InstanceCircuitBreakers(this);
        }
    }
}
