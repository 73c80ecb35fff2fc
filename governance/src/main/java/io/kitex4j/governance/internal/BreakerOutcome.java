package io.kitex4j.governance.internal;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.ClientClosedException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.ConnectionLostException;
import io.kitex4j.core.NoInstanceException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.governance.CircuitBreakerEvent;
import io.kitex4j.governance.CircuitBreakerOpenException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;

/** How a call's outcome counts for a breaker: Kitex's {@code circuitbreak.ErrorType}. */
public enum BreakerOutcome {
    /** Not counted ({@code TypeIgnorable}). */
    IGNORE,
    /** A timeout ({@code TypeTimeout}). */
    TIMEOUT,
    /** A failure ({@code TypeFailure}). */
    FAILURE,
    /** A success ({@code TypeSuccess}). */
    SUCCESS;

    // Generated Thrift exceptions (declared in the IDL) implement TBase; governance does not depend on libthrift.
    private static final ClassValue<Boolean> DECLARED = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                for (Class<?> i : c.getInterfaces()) {
                    if (i.getName().equals("org.apache.thrift.TBase")) {
                        return true;
                    }
                }
            }
            return false;
        }
    };

    /** {@code error} unwrapped from the {@link CompletionException}s of a dependent future. */
    public static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * Kitex's {@code ErrorTypeOnServiceLevel}, in kitex4j's exceptions: no error, a business status or a declared
     * exception (Kitex's endpoint returns no error for them) is a success; no instance (discovery: {@code
     * ErrServiceDiscovery}) and a closed client ({@code ErrInternalException}) are ignored; an RPC timeout is a
     * timeout; anything else, the instance breakers' rejection included, is a failure. A cancelled attempt (the
     * caller gave up, or a backup request won) is ignored: it says nothing about the callee.
     */
    public static BreakerOutcome serviceLevel(Throwable error) {
        final Throwable e = unwrap(error);
        if (e == null || e instanceof BizStatusException || DECLARED.get(e.getClass())) {
            return SUCCESS;
        }
        if (e instanceof RpcTimeoutException) {
            return TIMEOUT;
        }
        if (e instanceof NoInstanceException || e instanceof ClientClosedException || e instanceof CancellationException
                || e instanceof CircuitBreakerOpenException c && c.scope() == CircuitBreakerEvent.Scope.SERVICE) {
            return IGNORE;
        }
        return FAILURE;
    }

    /**
     * What counts for an instance: a connection that could not be had or broke under the call is a failure
     * (Kitex's {@code ErrorTypeOnInstanceLevel} counts {@code ErrGetConnection}), an RPC timeout a timeout (Kitex
     * counts it as a success; timeouts are what take a stalled instance out); a call that reached no instance
     * or was cancelled is ignored; anything else (an answer came) is a success.
     */
    public static BreakerOutcome instanceLevel(Throwable error) {
        final Throwable e = unwrap(error);
        if (e == null) {
            return SUCCESS;
        }
        if (e instanceof ConnectFailedException || e instanceof ConnectionLostException) {
            return FAILURE;
        }
        if (e instanceof RpcTimeoutException) {
            return TIMEOUT;
        }
        if (e instanceof NoInstanceException || e instanceof ClientClosedException || e instanceof CancellationException
                || e instanceof CircuitBreakerOpenException) {
            return IGNORE;
        }
        return SUCCESS;
    }
}
