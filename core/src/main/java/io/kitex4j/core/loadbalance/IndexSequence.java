package io.kitex4j.core.loadbalance;

/**
 * A deterministic, eventually periodic sequence of node indexes: the order in which a round-robin
 * policy visits its nodes. Stateful and not thread-safe; callers serialise access.
 */
interface IndexSequence {

    /** Returns the next node index. */
    int next();
}
