package io.kitex4j.governance;

/**
 * Where a client's governance finds its policies: fixed ({@link ClientPolicies} is one) or dynamic
 * (kitex4j-config-etcd's watcher). Read on every call, so {@link #current()} must be a cheap read of an
 * immutable snapshot (a volatile field), never I/O.
 */
@FunctionalInterface
public interface ClientPolicySource {

    /** The policies to apply now; never {@code null}. */
    ClientPolicies current();
}
