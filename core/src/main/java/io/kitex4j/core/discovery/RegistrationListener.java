package io.kitex4j.core.discovery;

/**
 * Told about every state change of every registration of a registry.
 *
 * <p>Called on the registry's single scheduler thread, in order, so it must return quickly and
 * must not block on etcd or on a registration's futures. An exception it throws is logged and
 * otherwise ignored.
 */
@FunctionalInterface
public interface RegistrationListener {

    /**
     * The state of {@code registration} changed from {@code from} to {@code to}.
     *
     * @param cause why, for {@link RegistrationState#RETRYING} and {@link RegistrationState#FAILED}
     *     (the error of the failed etcd call, or what was found lost); {@code null} otherwise
     */
    void onStateChanged(Registration registration, RegistrationState from, RegistrationState to,
                        Throwable cause);
}
