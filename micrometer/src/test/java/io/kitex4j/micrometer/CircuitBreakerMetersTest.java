package io.kitex4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.governance.CircuitBreakerEvent;
import io.kitex4j.governance.CircuitBreakerEvent.Scope;
import io.kitex4j.governance.CircuitBreakerListener;
import io.kitex4j.governance.CircuitBreakerState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** {@link KitexMetrics#circuitBreakerListener()}: transitions counted, breakers not closed gauged. */
class CircuitBreakerMetersTest {

    private static CircuitBreakerEvent event(Scope scope, String key, CircuitBreakerState from, CircuitBreakerState to) {
        return new CircuitBreakerEvent(scope, key, from, to, 1, 2, 3);
    }

    @Test
    void countsTransitionsAndGaugesStates() {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final KitexMetrics metrics = KitexMetrics.builder().meterRegistry(registry).build();
        final CircuitBreakerListener l = metrics.circuitBreakerListener();
        assertThat(metrics.circuitBreakerListener()).isSameAs(l);
        l.onStateChange(event(Scope.SERVICE, "web/echo/Echo", CircuitBreakerState.CLOSED, CircuitBreakerState.OPEN));
        l.onStateChange(event(Scope.SERVICE, "web/echo/Ping", CircuitBreakerState.CLOSED, CircuitBreakerState.OPEN));
        l.onStateChange(event(Scope.INSTANCE, "10.0.0.1:80", CircuitBreakerState.CLOSED, CircuitBreakerState.OPEN));
        l.onStateChange(event(Scope.SERVICE, "web/echo/Echo", CircuitBreakerState.OPEN, CircuitBreakerState.HALF_OPEN));

        assertThat(registry.get("kitex.circuit.breaker.transitions").tags("scope", "service", "from", "closed", "to", "open")
                .counter().count()).isEqualTo(2);
        assertThat(registry.get("kitex.circuit.breaker.transitions").tags("scope", "instance", "from", "closed", "to", "open")
                .counter().count()).isEqualTo(1);
        assertThat(gauge(registry, "service", "open")).isEqualTo(1);
        assertThat(gauge(registry, "service", "half_open")).isEqualTo(1);
        assertThat(gauge(registry, "instance", "open")).isEqualTo(1);

        l.onStateChange(event(Scope.SERVICE, "web/echo/Echo", CircuitBreakerState.HALF_OPEN, CircuitBreakerState.CLOSED));
        l.onStateChange(event(Scope.INSTANCE, "10.0.0.1:80", CircuitBreakerState.OPEN, CircuitBreakerState.CLOSED));
        assertThat(gauge(registry, "service", "half_open")).isZero();
        assertThat(gauge(registry, "service", "open")).isEqualTo(1);
        assertThat(gauge(registry, "instance", "open")).isZero();
        // No tag carries a key.
        registry.getMeters().forEach(m -> m.getId().getTags().forEach(t ->
                assertThat(t.getValue()).doesNotContain("/").doesNotContain(":")));
    }

    private static double gauge(SimpleMeterRegistry registry, String scope, String state) {
        return registry.get("kitex.circuit.breakers").tags("scope", scope, "state", state).gauge().value();
    }
}
