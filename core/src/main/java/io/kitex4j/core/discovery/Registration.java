package io.kitex4j.core.discovery;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The handle of one registered service instance, returned by {@link Registry#register}.
 *
 * <p>Thread-safe. The getters show the latest state and never block.
 */
public interface Registration {

    /** The etcd key this registration writes, e.g. {@code kitex/registry-etcd/echo/10.0.0.5:8888}. */
    String key();

    /** The instance written as the key's value. */
    Instance instance();

    /** The current state. */
    RegistrationState state();

    /**
     * The error of the last failed attempt, or what was last found lost (a deleted key, an expired
     * lease); {@code null} if nothing has gone wrong yet. Kept after a later success, for diagnosis.
     */
    Throwable lastError();

    /**
     * When the registry last heard from its backend about this registration: for etcd, the last
     * keep-alive acknowledgement of the lease, answered check of the key, or put. Empty if it never
     * did, or if the implementation does not track it (the default).
     */
    default Optional<Instant> lastContact() {
        return Optional.empty();
    }

    /**
     * Stops keeping the instance registered and removes it: stops the keepalive and the checks,
     * deletes exactly {@link #key()}, and revokes the lease (which only this registration uses).
     *
     * <p>Idempotent: every call returns the same future. It completes when the key is deleted, or
     * fails with the etcd error if the delete failed; the instance then disappears anyway when its
     * lease expires, since nothing keeps it alive any more.
     */
    CompletableFuture<Void> deregister();
}
