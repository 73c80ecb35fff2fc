package io.kitex4j.thriftrpc.client;

/**
 * A live, read-only view of the connection pool a {@link KitexClient} calls through, from
 * {@link KitexClient#connectionPoolStats()}, for metrics (kitex4j-micrometer binds it as gauges and a
 * function timer). Each method reads the pool's current counters without locking; the values are not a
 * consistent snapshot of one instant.
 *
 * <p>The pool is shared by a client and its {@link KitexClient#newBuilder()} variants with the same pool
 * settings, so they see the same counters. After the last of them is closed, the counts of connections
 * go to 0 and the acquisition counters stay as they were.
 */
public interface ConnectionPoolStats {

    /**
     * The open connections of the pool, to every address: idle ones plus those serving calls (for a
     * {@linkplain #multiplexed() multiplexed} pool, every connection).
     */
    int openConnections();

    /**
     * The idle connections kept for reuse, to every address. Always 0 for a
     * {@linkplain #multiplexed() multiplexed} pool, whose connections are shared by the calls in flight
     * rather than lent to one call at a time.
     */
    int idleConnections();

    /**
     * How many times a call's attempt obtained a connection from the pool since it was created, an idle
     * one or a new one. Acquisitions that failed (the connect failed or timed out) are not counted.
     */
    long acquisitions();

    /**
     * The total time those {@link #acquisitions()} took, in nanoseconds: from asking the pool to holding
     * the connection, so near zero for an idle one and the connect time for a new one.
     */
    long acquisitionTimeNanos();

    /** Whether this is a {@linkplain KitexClientBuilder#multiplexed(int) multiplexed} pool. */
    boolean multiplexed();
}
