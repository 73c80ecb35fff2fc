package io.kitex4j.registry;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The options {@link EtcdRegistry.Builder} and {@code EtcdResolver.Builder} share: which etcd to
 * use, and where the Kitex keys are. Set exactly one of {@link #connection(EtcdConnection)} (shared,
 * not closed with the registry or resolver), {@link #etcd(EtcdClientConfig)} or
 * {@link #endpoints(String...)} (a connection of its own, closed with it).
 *
 * @param <B> the concrete builder
 */
public abstract class AbstractEtcdBuilder<B extends AbstractEtcdBuilder<B>> {

    private EtcdConnection connection;
    private EtcdClientConfig etcd;
    private final List<String> endpoints = new ArrayList<>();
    private KeyLayout keyLayout = KeyLayout.kitex();

    /** For the builders of this module and of {@code kitex4j-resolver}. */
    protected AbstractEtcdBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Use this shared connection: its jetcd client and threads. Closing what is built leaves the
     * connection open; closing the connection closes what is built.
     */
    public B connection(EtcdConnection connection) {
        this.connection = requireNonNull(connection, "connection");
        return self();
    }

    /** Connect with this config, on a connection of its own that is closed with what is built. */
    public B etcd(EtcdClientConfig etcd) {
        this.etcd = requireNonNull(etcd, "etcd");
        return self();
    }

    /** Plaintext etcd endpoints with default timeouts; shorthand for {@link #etcd(EtcdClientConfig)}. */
    public B endpoints(String... endpoints) {
        requireNonNull(endpoints, "endpoints");
        return endpoints(List.of(endpoints));
    }

    /** Plaintext etcd endpoints with default timeouts; shorthand for {@link #etcd(EtcdClientConfig)}. */
    public B endpoints(List<String> endpoints) {
        requireNonNull(endpoints, "endpoints");
        endpoints.forEach(e -> this.endpoints.add(requireNonNull(e, "endpoint")));
        return self();
    }

    /** Where the keys are; default {@link KeyLayout#kitex()} ({@code kitex/registry-etcd}). */
    public B keyLayout(KeyLayout keyLayout) {
        this.keyLayout = requireNonNull(keyLayout, "keyLayout");
        return self();
    }

    /**
     * The key prefix, verbatim (registry-etcd's {@code WithEtcdServicePrefix}): for example
     * {@code "etcd/v1"}, or {@code ""} for Go's {@code /<service>/...} keys.
     */
    public B prefix(String prefix) {
        return keyLayout(KeyLayout.withPrefix(requireNonNull(prefix, "prefix")));
    }

    /** The key layout set, or the default. */
    protected final KeyLayout configuredKeyLayout() {
        return keyLayout;
    }

    /** The shared connection, or {@code null} if what is built opens its own. */
    protected final EtcdConnection sharedConnection() {
        return connection;
    }

    /**
     * How etcd is reached: the shared connection's config, or the one given, or one built from the
     * endpoints. Builders call this in {@code build()} before they open anything.
     *
     * @throws IllegalArgumentException if none or several of connection, etcd and endpoints are
     *     set, or the endpoints are invalid
     */
    protected final EtcdClientConfig etcdConfig() {
        final int sources = (connection != null ? 1 : 0) + (etcd != null ? 1 : 0) + (endpoints.isEmpty() ? 0 : 1);
        if (sources == 0) {
            throw new IllegalArgumentException(
                    "etcd: required (expected: connection(EtcdConnection), etcd(EtcdClientConfig) or endpoints(...))");
        }
        if (sources > 1) {
            throw new IllegalArgumentException("etcd: set one of connection(EtcdConnection), etcd(EtcdClientConfig)"
                    + " and endpoints(...) (expected: exactly one)");
        }
        if (connection != null) {
            if (connection.isClosed()) {
                throw new IllegalArgumentException("connection: " + connection + " (expected: an open connection)");
            }
            return connection.config();
        }
        return etcd != null ? etcd : EtcdClientConfig.builder().endpoints(endpoints).build();
    }
}
