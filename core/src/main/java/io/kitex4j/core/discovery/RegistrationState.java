package io.kitex4j.core.discovery;

/**
 * Where a {@link Registration} stands.
 *
 * <pre>{@code
 *   REGISTERING --ok--> REGISTERED <--ok-- RETRYING
 *        |                  |                 ^  |
 *        +------fail--------|-----------------+  +--max attempts--> FAILED
 *                           +--fail, key or lease lost--^
 *   any state --deregister() or Registry.close()--> DEREGISTERED
 * }</pre>
 */
public enum RegistrationState {
    /** The first attempt is running; nothing is known yet. */
    REGISTERING,
    /** The key is in etcd under a lease that is being kept alive. */
    REGISTERED,
    /**
     * The last attempt failed, or the key or its lease was found lost; the registry tries again.
     * {@link Registration#lastError()} says why. Clients may or may not see the instance meanwhile.
     */
    RETRYING,
    /** The configured number of consecutive attempts failed; the registry stopped trying. Final. */
    FAILED,
    /** Deregistered, by {@link Registration#deregister()} or by closing the registry. Final. */
    DEREGISTERED;

    /** Whether nothing will change this state any more. */
    public boolean isFinal() {
        return this == FAILED || this == DEREGISTERED;
    }
}
