package io.kitex4j.core.discovery;

import java.util.concurrent.CompletableFuture;

/**
 * A live view of one service's instances, obtained from {@link Resolver#watch(String)}.
 *
 * <p>Each {@code watch} call returns a new {@code ServiceWatch}, but all those of one service in
 * one resolver share one etcd watch; each is a reference to it. {@link #close()} releases this
 * reference (and the listeners added through it); the etcd watch ends when the last reference is
 * closed.
 *
 * <p>Thread-safe. No method blocks.
 */
public interface ServiceWatch extends AutoCloseable {

    /** The service name. */
    String service();

    /**
     * The current view. Never blocks: before the first sync it is an empty view in state
     * {@link ResolvedInstances.State#SYNCING}; after it, the latest view, stale and marked so while
     * etcd is unreachable. It stays readable after {@link #close()}, frozen.
     */
    ResolvedInstances snapshot();

    /**
     * Completes with the first view that is not {@link ResolvedInstances.State#SYNCING}: the first
     * answer of etcd ({@code OK} or {@code NO_INSTANCES}), or {@code UNREACHABLE} with an empty list
     * if etcd did not answer within the call timeout. In the latter case the resolver keeps trying
     * and listeners see the instances when etcd answers. Never completes exceptionally except when
     * this watch is closed first (then it is cancelled). Dependent actions run on the resolver's
     * listener executor.
     */
    CompletableFuture<ResolvedInstances> firstSync();

    /**
     * Adds a listener; see {@link ResolverListener} for when and where it is called. It is removed
     * by {@link #removeListener(ResolverListener)} or when this watch is closed.
     *
     * @throws IllegalStateException if this watch is closed
     */
    void addListener(ResolverListener listener);

    /**
     * Removes a listener added through this watch. After this returns it is not called again,
     * except for a call already running.
     */
    void removeListener(ResolverListener listener);

    /** Releases this reference. Idempotent. */
    @Override
    void close();
}
