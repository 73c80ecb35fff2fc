package io.kitex4j.core.discovery;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Publishes this process's services where Kitex clients look for them.
 *
 * <p>This is all a server needs to see of a registry: register each service once it listens, and
 * close the registry when the server stops. {@link EtcdRegistry} is the etcd implementation, which
 * Go Kitex clients (registry-etcd resolvers) and kitex4j resolvers read.
 *
 * <p>Implementations are thread-safe.
 */
public interface Registry extends AutoCloseable {

    /**
     * Registers one service instance and keeps it registered until it is deregistered or the
     * registry is closed.
     *
     * <p>The future completes with the {@link Registration} once the instance is visible to
     * clients. If that does not happen in time, it fails with a {@link RegistrationException}
     * whose {@link RegistrationException#registration()} is the handle of a registration that goes
     * on trying in the background (see the implementation for the exact rules). It fails with an
     * {@link IllegalArgumentException} or {@link IllegalStateException}, with no background work,
     * when the request itself cannot succeed (no usable address, key already registered, registry
     * closed).
     */
    CompletableFuture<Registration> register(RegistrationInfo info);

    /**
     * The registrations made through this registry and not yet deregistered, in no particular
     * order; for health checks and metrics. Empty by default, for registries that do not list them.
     */
    default List<Registration> registrations() {
        return List.of();
    }

    /**
     * Deregisters every registration made through this registry and releases its resources.
     * Idempotent; {@link #register} fails after it.
     */
    @Override
    void close();
}
