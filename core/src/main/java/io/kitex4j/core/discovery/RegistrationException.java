package io.kitex4j.core.discovery;

import static java.util.Objects.requireNonNull;

/**
 * A registration did not reach etcd in time. It is not necessarily over: unless
 * {@link #registration()} is {@link RegistrationState#FAILED} or deregistered, the registry keeps
 * trying in the background, and the registration becomes {@link RegistrationState#REGISTERED}
 * later. Keep {@link #registration()} to watch it or to {@link Registration#deregister()} it; it is
 * also deregistered when the registry is closed.
 */
public final class RegistrationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Registration registration;

    public RegistrationException(String message, Registration registration, Throwable cause) {
        super(message, cause);
        this.registration = requireNonNull(registration, "registration");
    }

    /** The registration, which may still be retrying in the background. */
    public Registration registration() {
        return registration;
    }
}
