package io.kitex4j.governance.internal;

import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.governance.CircuitBreakerEvent;
import io.kitex4j.governance.CircuitBreakerListener;
import io.kitex4j.governance.CircuitBreakerState;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** Logs each state change (rate limited) and hands it to the listeners, isolating their exceptions. */
public final class BreakerListeners implements Consumer<CircuitBreakerEvent> {

    private static final Logger log = LoggerFactory.getLogger("io.kitex4j.governance.CircuitBreaker");

    private final List<CircuitBreakerListener> listeners;
    private final RateLimitedLog opened = new RateLimitedLog(log, Level.WARN, "circuit_breaker_open");
    private final RateLimitedLog changed = new RateLimitedLog(log, Level.INFO, "circuit_breaker_state");
    private final RateLimitedLog failed = new RateLimitedLog(log, Level.WARN, "circuit_breaker_listener_failed");

    public BreakerListeners(List<CircuitBreakerListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public void accept(CircuitBreakerEvent event) {
        (event.to() == CircuitBreakerState.OPEN ? opened : changed).log("Circuit breaker {}",
                LogValues.escape(event.toString(), 2 * LogValues.MAX_CHARS));
        for (CircuitBreakerListener l : listeners) {
            try {
                l.onStateChange(event);
            } catch (RuntimeException e) {
                failed.log("Circuit breaker listener {} failed on {}", l, event, e);
            }
        }
    }
}
