package io.kitex4j.governance;

/**
 * Hears of the state changes of circuit breakers ({@link ServiceCircuitBreakers},
 * {@link InstanceCircuitBreakers}). Called on the thread of the call whose outcome or admission caused the
 * change, after the breaker's lock is released; it must be quick and must not block. Two changes of one
 * breaker made by concurrent calls may arrive in either order; {@link CircuitBreakerEvent#to()} of the
 * latest event is not necessarily the current state (ask the breakers). An exception it throws is logged
 * and otherwise ignored.
 */
@FunctionalInterface
public interface CircuitBreakerListener {

    /** A breaker changed state. */
    void onStateChange(CircuitBreakerEvent event);
}
