package io.kitex4j.governance;

/** The state of one circuit breaker, as bytedance/gopkg's {@code circuitbreaker.State}. */
public enum CircuitBreakerState {
    /** Calls go through; their outcomes are counted in the window. */
    CLOSED,
    /** Calls are rejected until the cooling timeout has passed since it opened. */
    OPEN,
    /**
     * One probe goes through per detect timeout; enough successes close it, a failure or timeout opens it
     * again.
     */
    HALF_OPEN
}
