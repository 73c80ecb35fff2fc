package io.kitex4j.thriftrpc.client;

import java.util.concurrent.CompletableFuture;

/**
 * Hands out connections to addresses: the long-connection pool or the multiplexed one. It is also the
 * pool's {@link ConnectionPoolStats} ({@link KitexClient#connectionPoolStats()}).
 */
interface ConnectionProvider extends AutoCloseable, ConnectionPoolStats {

    /**
     * A connection to {@code address} ({@code host:port}) ready for one request. Fails with a
     * {@link io.kitex4j.core.ConnectFailedException} if it
     * cannot connect.
     */
    CompletableFuture<ClientConnection> acquire(String address, int connectTimeoutMillis);

    /**
     * An idle connection to {@code address} ready for one request, or {@code null} if there is none at
     * hand (then {@link #acquire}): the common case of a call, without a future.
     */
    default ClientConnection pollIdle(String address) {
        return null;
    }

    /** The acquisition counters, which {@link RpcCall} records into. */
    AcquisitionCounter acquisitionCounter();

    @Override
    default long acquisitions() {
        return acquisitionCounter().count();
    }

    @Override
    default long acquisitionTimeNanos() {
        return acquisitionCounter().totalNanos();
    }

    /** The address left the instance list: stop keeping connections to it. */
    void evict(String address);

    /** Closes every connection. */
    @Override
    void close();
}
