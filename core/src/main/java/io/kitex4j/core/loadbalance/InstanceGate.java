package io.kitex4j.core.loadbalance;

import io.kitex4j.core.NoInstanceException;
import io.kitex4j.core.discovery.Instance;

/**
 * Decides, at each pick, whether an instance may be called now: a client's picker skips the instances its
 * gate does not allow (as Kitex's instance circuit breaker makes its resolver pick again), and when it
 * allows none of them the call fails at once with {@link #rejection(String)}, without a connect.
 *
 * <p>{@link #allows(Instance)} is asked only about an instance the picker is about to use, and a
 * {@code true} answer is taken as a commitment: a gate that lets a single probe through (a half-open
 * breaker) may count it when it answers {@code true}. It is called on every pick, concurrently, so it
 * must be cheap (a map lookup and a volatile read) and must not block.
 *
 * <pre>{@code
 * InstanceCircuitBreakers breakers = InstanceCircuitBreakers.builder().build();
 * KitexClient client = KitexClient.builder().service("echo").resolver(resolver)
 *         .instanceGate(breakers).middleware(breakers.middleware()).build();
 * }</pre>
 */
@FunctionalInterface
public interface InstanceGate {

    /** Whether a call may go to {@code instance} now. */
    boolean allows(Instance instance);

    /**
     * The exception a call fails with when the gate allows none of the instances of {@code service};
     * by default a {@link NoInstanceException}.
     *
     * @param service the called service, as the client names it
     */
    default RuntimeException rejection(String service) {
        return new NoInstanceException("no instance for service '" + service + "': every instance is excluded by "
                + this);
    }
}
