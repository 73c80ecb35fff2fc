package io.kitex4j.governance;

import io.kitex4j.core.RpcException;
import java.util.Objects;

/**
 * A call rejected by an open (or half-open, between probes) circuit breaker, with Kitex's text: {@code
 * forbidden by circuitbreaker: service circuitbreak} ({@code kerrors.ErrServiceCircuitBreak}) or {@code
 * forbidden by circuitbreaker: instance circuitbreak} ({@code kerrors.ErrInstanceCircuitBreak}, when no
 * instance is allowed). The request was not sent.
 */
public final class CircuitBreakerOpenException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** Kitex's text for a service breaker. */
    public static final String SERVICE_MESSAGE = "forbidden by circuitbreaker: service circuitbreak";
    /** Kitex's text for instance breakers. */
    public static final String INSTANCE_MESSAGE = "forbidden by circuitbreaker: instance circuitbreak";

    private final CircuitBreakerEvent.Scope scope;
    private final String key;

    /**
     * An exception for a call {@code scope}'s breakers rejected.
     *
     * @param key the service breaker's {@code from/to/method}, or for instance breakers the called service
     */
    public CircuitBreakerOpenException(CircuitBreakerEvent.Scope scope, String key) {
        super(Objects.requireNonNull(scope, "scope") == CircuitBreakerEvent.Scope.SERVICE ? SERVICE_MESSAGE
                : INSTANCE_MESSAGE, null, false);
        this.scope = scope;
        this.key = Objects.requireNonNull(key, "key");
    }

    /** Which breakers rejected the call. */
    public CircuitBreakerEvent.Scope scope() {
        return scope;
    }

    /** The service breaker's key ({@code from/to/method}), or for instance breakers the called service. */
    public String key() {
        return key;
    }

    /** No stack trace: a rejection is expected, frequent while open, and says where by its key. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
