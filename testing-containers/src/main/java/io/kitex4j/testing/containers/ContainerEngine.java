package io.kitex4j.testing.containers;

import org.opentest4j.TestAbortedException;
import org.testcontainers.DockerClientFactory;

/**
 * Whether a container engine answers, for a test to run, fail or be skipped on purpose. Where containers are
 * required ({@value #REQUIRED_ENV}{@code =true} or {@code -D}{@value #REQUIRED_PROPERTY}{@code =true}, as kitex4j's
 * {@code bin/test} and CI set), a missing engine fails the test with what went wrong and the remedy; elsewhere the
 * test is aborted (reported as skipped) with the same text.
 */
public final class ContainerEngine {

    /** Environment variable that makes a missing engine a failure. */
    public static final String REQUIRED_ENV = "KITEX4J_DOCKER_REQUIRED";
    /** System property that makes a missing engine a failure. */
    public static final String REQUIRED_PROPERTY = "kitex4j.docker.required";
    /** Environment variable with the reason the engine could not be started (written by engine.sh). */
    public static final String ERROR_ENV = "KITEX4J_ENGINE_ERROR";

    private ContainerEngine() {
    }

    /**
     * Returns when an engine answers; otherwise fails ({@link IllegalStateException}) where containers are
     * required, and aborts the test ({@link TestAbortedException}) elsewhere.
     */
    public static void requireOrAbort() {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return;
        }
        final String error = System.getenv(ERROR_ENV);
        final String where = "No container engine answers (DOCKER_HOST="
                + System.getenv().getOrDefault("DOCKER_HOST", "<unset>") + ")";
        final String message = error != null && !error.isBlank()
                ? where + ": " + error.trim()
                : where + ". Remedy: start Podman's Docker API with eval \"$(interop-tests/docker/engine.sh start)\""
                        + " (bin/test does it), or run Docker and set DOCKER_HOST.";
        if (required()) {
            throw new IllegalStateException(message);
        }
        throw new TestAbortedException(message);
    }

    static boolean required() {
        return Boolean.parseBoolean(System.getenv(REQUIRED_ENV)) || Boolean.getBoolean(REQUIRED_PROPERTY);
    }
}
