package io.kitex4j.micrometer.internal;

import io.kitex4j.governance.CircuitBreakerEvent;
import io.kitex4j.governance.CircuitBreakerListener;
import io.kitex4j.governance.CircuitBreakerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The circuit breaker meters: a counter of state changes by scope, from and to, and gauges of the breakers
 * not closed, by scope and state. Tags never carry a breaker's key (an address, or a method name
 * that a server does not bound): the listener keeps only the breakers that are not closed. Kept apart from
 * {@code KitexMetrics} so that only asking for the listener needs kitex4j-governance. Not API.
 */
public final class BreakerMeters implements CircuitBreakerListener {

    private final MeterRegistry registry;
    private final String prefix;
    // Scope + key of each breaker known not to be closed, with its state.
    private final ConcurrentHashMap<String, CircuitBreakerState> notClosed = new ConcurrentHashMap<>();

    public BreakerMeters(MeterRegistry registry, String prefix) {
        this.registry = registry;
        this.prefix = prefix;
        for (CircuitBreakerEvent.Scope scope : CircuitBreakerEvent.Scope.values()) {
            for (CircuitBreakerState state : new CircuitBreakerState[] {CircuitBreakerState.OPEN,
                    CircuitBreakerState.HALF_OPEN}) {
                final String prefixKey = scope.name() + '/';
                Gauge.builder(prefix + ".circuit.breakers", notClosed, m -> count(m, prefixKey, state))
                     .tags("scope", tag(scope), "state", tag(state))
                     .description("Circuit breakers in this state, as their last state change left them")
                     .register(registry);
            }
        }
    }

    private static double count(ConcurrentHashMap<String, CircuitBreakerState> m, String scopePrefix,
                                CircuitBreakerState state) {
        long n = 0;
        for (var e : m.entrySet()) {
            if (e.getValue() == state && e.getKey().startsWith(scopePrefix)) {
                n++;
            }
        }
        return n;
    }

    private static String tag(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void onStateChange(CircuitBreakerEvent event) {
        Counter.builder(prefix + ".circuit.breaker.transitions")
               .tags("scope", tag(event.scope()), "from", tag(event.from()), "to", tag(event.to()))
               .description("State changes of circuit breakers")
               .register(registry).increment();
        final String key = event.scope().name() + '/' + event.key();
        if (event.to() == CircuitBreakerState.CLOSED) {
            notClosed.remove(key);
        } else {
            notClosed.put(key, event.to());
        }
    }
}
