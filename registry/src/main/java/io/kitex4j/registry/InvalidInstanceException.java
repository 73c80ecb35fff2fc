package io.kitex4j.registry;

/**
 * A registry value that Go's {@code encoding/json} would also refuse, so a Go resolver would skip
 * it too.
 */
public final class InvalidInstanceException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidInstanceException(String message) {
        super(message);
    }

    public InvalidInstanceException(String message, Throwable cause) {
        super(message, cause);
    }
}
