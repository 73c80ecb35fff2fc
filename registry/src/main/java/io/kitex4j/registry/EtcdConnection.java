package io.kitex4j.registry;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.kitex4j.registry.internal.EtcdResources;
import java.util.concurrent.CompletableFuture;

/**
 * One connection to an etcd cluster, shared by any number of {@link EtcdRegistry registries} and
 * {@code EtcdResolver}s: one jetcd client (one gRPC channel) and one set of threads, whatever
 * registers and resolves through it.
 *
 * <pre>{@code
 * try (EtcdConnection etcd = EtcdConnection.of(EtcdClientConfig.of("http://127.0.0.1:2379"))) {
 *     EtcdRegistry registry = EtcdRegistry.builder().connection(etcd).build();
 *     EtcdResolver resolver = EtcdResolver.builder().connection(etcd).build();
 *     ...
 * }   // closes the resolver and the registry (deregistering), then the client and the threads
 * }</pre>
 *
 * <p>Closing a registry or resolver built with {@link EtcdRegistry.Builder#connection(EtcdConnection)
 * connection(...)} leaves the connection, and the others on it, working. Closing the connection
 * closes every registry and resolver still on it, last built first, then the client and the threads.
 * A registry or resolver built from an {@link EtcdClientConfig} or endpoints instead opens a
 * connection of its own, and closes it when it closes.
 *
 * <h2>Threads</h2>
 * Two daemon threads, started on first use: {@code kitex4j-etcd-<n>} runs every registration's and
 * watch's bookkeeping (etcd answers are handled there; nothing on it blocks), and
 * {@code kitex4j-etcd-<n>-listeners} runs resolver listeners unless a resolver is given its own
 * executor. jetcd's and gRPC's own threads are those of the one client.
 */
public final class EtcdConnection implements AutoCloseable {

    static {
        EtcdResources.setAccess(connection -> connection.resources);
    }

    private final EtcdResources resources;

    private EtcdConnection(EtcdClientConfig config) {
        this.resources = new EtcdResources(config);
    }

    /**
     * Opens a connection. No etcd call is made here: the client connects on first use, so this
     * succeeds whether or not etcd is up.
     */
    public static EtcdConnection of(EtcdClientConfig config) {
        return new EtcdConnection(requireNonNull(config, "config"));
    }

    /** Opens a connection to plaintext endpoints with default timeouts; see {@link EtcdClientConfig#of}. */
    public static EtcdConnection of(String... endpoints) {
        return of(EtcdClientConfig.of(endpoints));
    }

    /** How etcd is reached. */
    public EtcdClientConfig config() {
        return resources.config();
    }

    /**
     * The jetcd client, for reading or writing etcd directly over the same channel. It belongs to
     * the connection: do not close it.
     */
    public Client client() {
        return resources.client();
    }

    /**
     * Finds out why etcd could not be used, as {@link EtcdClientConfig#diagnose(Throwable)} does
     * with this connection's settings. The future never fails.
     */
    public CompletableFuture<EtcdAccessException> diagnose(Throwable failure) {
        return resources.config().diagnose(failure);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return resources.isClosed();
    }

    /**
     * Closes every registry (deregistering its instances) and resolver still on this connection,
     * then the jetcd client and the threads. Idempotent.
     */
    @Override
    public void close() {
        resources.close();
    }

    @Override
    public String toString() {
        return "EtcdConnection{" + resources.description() + (isClosed() ? ", closed" : "") + '}';
    }
}
