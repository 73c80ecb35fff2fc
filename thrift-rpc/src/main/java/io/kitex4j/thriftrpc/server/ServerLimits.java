package io.kitex4j.thriftrpc.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.kitex4j.core.internal.log.LogValues;

/**
 * The limits one server puts on slow, idle and greedy peers, and the connection counts they are checked
 * against. What they refuse is logged and counted as a {@link RejectionKind} in the server's
 * {@link ServerRejections}. Thread-safe.
 *
 * <p>The connection limits follow Kitex's connection limiter ({@code pkg/limiter/connection_limiter.go#Acquire},
 * called from {@code pkg/remote/bound/limiter_inbound.go#OnActive}): a connection is counted when it is
 * accepted, and one over the limit is closed at once, before anything is read from it; it stops
 * counting when it closes.
 */
final class ServerLimits {

    private volatile int maxConnections;
    private final int maxConnectionsPerIp;
    private final long readTimeoutNanos;
    private final int maxInFlightRequestsPerConnection;

    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> connectionsPerIp = new ConcurrentHashMap<>();

    private final ServerRejections rejections;
    private final QpsLimiter qps;

    ServerLimits(int maxConnections, int maxConnectionsPerIp, long readTimeoutNanos,
                 int maxInFlightRequestsPerConnection, int maxQps, ServerRejections rejections) {
        this.rejections = rejections;
        this.qps = new QpsLimiter(maxQps, System::nanoTime);
        this.maxConnections = maxConnections;
        this.maxConnectionsPerIp = maxConnectionsPerIp;
        this.readTimeoutNanos = readTimeoutNanos;
        this.maxInFlightRequestsPerConnection = maxInFlightRequestsPerConnection;
    }

    /**
     * Kitex's {@code UpdateLimit} of both limiters ({@code limiter.NewLimiterWrapper}, which config-etcd's server
     * suite calls): connections already open stay open, and count against the new limit.
     */
    void update(int newMaxConnections, int newMaxQps) {
        maxConnections = newMaxConnections;
        qps.update(newMaxQps);
    }

    int maxConnections() {
        return maxConnections;
    }

    int maxQps() {
        return qps.limit();
    }

    /**
     * Takes a token of the QPS limiter for a request just read from {@code peer}. Returns false, having logged
     * it, if it is over the limit: as Kitex does in its inbound {@code OnRead}, the caller closes the connection
     * without reading the request or replying (a Go client gets {@code remote or network error: default codec
     * read failed: EOF ...}).
     */
    boolean requestRead(Object peer) {
        if (qps.acquire()) {
            return true;
        }
        rejections.log(RejectionKind.QPS_OVER_LIMIT, "Closing connection from {} without reading its request: "
                + "over maxQps {}", escapedPeer(peer), qps.limit());
        return false;
    }

    /** 0: no read timeout. */
    long readTimeoutNanos() {
        return readTimeoutNanos;
    }

    int maxInFlightRequestsPerConnection() {
        return maxInFlightRequestsPerConnection;
    }

    /** The connections counted now (accepted and not closed, refused ones until they close). */
    int openConnections() {
        return connections.get();
    }

    /** The connections from {@code ip} counted now. */
    int openConnections(InetAddress ip) {
        return connectionsPerIp.getOrDefault(ip, 0);
    }

    /**
     * Counts a connection just accepted from {@code ip} ({@code null} when the peer has no IP).
     * Returns false, having logged why, if it is over a limit: the caller closes it, and must call
     * {@link #connectionClosed(InetAddress)} either way.
     */
    boolean connectionOpened(InetAddress ip) {
        // Counted even when refused, as Kitex's Acquire does, so that closing always releases.
        final int total = connections.incrementAndGet();
        final int fromIp = ip == null ? 0 : connectionsPerIp.merge(ip, 1, Integer::sum);
        if (total > maxConnections) {
            rejections.log(RejectionKind.TOO_MANY_CONNECTIONS, "Refusing connection from {}: {} connections open (maxConnections {})",
                                   peer(ip), total - 1, maxConnections);
            return false;
        }
        if (fromIp > maxConnectionsPerIp) {
            rejections.log(RejectionKind.TOO_MANY_CONNECTIONS_PER_IP, "Refusing connection from {}: {} connections open from it "
                                        + "(maxConnectionsPerIp {})", peer(ip), fromIp - 1, maxConnectionsPerIp);
            return false;
        }
        return true;
    }

    void connectionClosed(InetAddress ip) {
        connections.decrementAndGet();
        if (ip != null) {
            connectionsPerIp.computeIfPresent(ip, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    void readTimedOut(Object peer, long waitedNanos, int bufferedBytes) {
        rejections.log(RejectionKind.READ_TIMEOUT, "Closing connection from {}: a frame started {} ms ago is still incomplete "
                        + "({} bytes received; readTimeout {} ms)", escapedPeer(peer), waitedNanos / 1_000_000,
                        bufferedBytes, readTimeoutNanos / 1_000_000);
    }

    void inFlightLimitReached(Object peer) {
        rejections.log(RejectionKind.IN_FLIGHT_LIMIT, "Pausing reads from {} until a call is answered: requests read and not answered "
                          + "reached maxInFlightRequestsPerConnection {}", escapedPeer(peer),
                          maxInFlightRequestsPerConnection);
    }

    private static String peer(InetAddress ip) {
        return ip == null ? "a peer without an IP address" : escapedPeer(ip.getHostAddress());
    }

    // A socket address is not text from the peer, but escaping costs nothing and keeps the rule simple.
    private static String escapedPeer(Object peer) {
        return LogValues.escape(String.valueOf(peer));
    }
}
