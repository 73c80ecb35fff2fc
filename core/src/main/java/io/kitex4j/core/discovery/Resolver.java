package io.kitex4j.core.discovery;

import java.util.List;

/**
 * Finds the instances of services and keeps them current. The small interface an RPC client
 * depends on; {@link EtcdResolver} implements it against Kitex's etcd registry.
 *
 * <p>A resolver holds connections and threads: create one per process (or per etcd cluster) and
 * share it, as one shares an HTTP client. Watches of the same service through one resolver share
 * one etcd watch; two resolvers do not share anything.
 *
 * <p>Thread-safe.
 */
public interface Resolver extends AutoCloseable {

    /**
     * Starts, or joins, the watch of a service. Returns at once; see
     * {@link ServiceWatch#firstSync()} to wait for the first answer. Close the returned watch when
     * done with it.
     *
     * @throws IllegalArgumentException if the service name is empty or contains {@code /}
     * @throws IllegalStateException if this resolver is closed
     */
    ServiceWatch watch(String service);

    /**
     * The current view ({@link ServiceWatch#snapshot()}) of every service watched right now, in
     * no particular order; for health checks and metrics. Opens and closes nothing. Empty by
     * default, for resolvers that do not list their watches.
     */
    default List<ResolvedInstances> views() {
        return List.of();
    }

    /**
     * Stops every watch and releases the resolver's threads and, if it created it, its etcd
     * client. Pending {@link ServiceWatch#firstSync()} futures are cancelled; listeners are not
     * called again. Idempotent.
     */
    @Override
    void close();
}
