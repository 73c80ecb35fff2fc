package io.kitex4j.thriftrpc.server;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import io.kitex4j.internal.log.LogValues;
import io.kitex4j.internal.log.RateLimitedLog;

/**
 * The limits one server puts on slow, idle and greedy peers, the connection counts they are checked
 * against, and a rate-limited log with a counter for each kind of event they cause. Thread-safe.
 *
 * <p>The connection limits follow Kitex's connection limiter ({@code pkg/limiter/connection_limiter.go#Acquire},
 * called from {@code pkg/remote/bound/limiter_inbound.go#OnActive}): a connection is counted when it is
 * accepted, and one over the limit is closed at once, before anything is read from it; it stops
 * counting when it closes.
 */
final class ServerLimits {

    /** {@link #rejections()} key: a connection refused at accept because the server had {@code maxConnections}. */
    static final String TOO_MANY_CONNECTIONS = "too_many_connections";
    /** {@link #rejections()} key: a connection refused at accept because its IP had {@code maxConnectionsPerIp}. */
    static final String TOO_MANY_CONNECTIONS_PER_IP = "too_many_connections_per_ip";
    /** {@link #rejections()} key: a connection closed because a frame it started did not arrive in time. */
    static final String READ_TIMEOUT = "read_timeout";
    /** {@link #rejections()} key: reading from a connection paused at {@code maxInFlightRequestsPerConnection}. */
    static final String IN_FLIGHT_LIMIT = "in_flight_limit";

    // The connection handler's logger: every event about one connection goes under one name.
    private static final Logger logger = LoggerFactory.getLogger(ServerConnectionHandler.class);

    private final int maxConnections;
    private final int maxConnectionsPerIp;
    private final long readTimeoutNanos;
    private final int maxInFlightRequestsPerConnection;

    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> connectionsPerIp = new ConcurrentHashMap<>();

    private final RateLimitedLog tooManyConnections =
            new RateLimitedLog(logger, Level.WARN, TOO_MANY_CONNECTIONS);
    private final RateLimitedLog tooManyConnectionsPerIp =
            new RateLimitedLog(logger, Level.WARN, TOO_MANY_CONNECTIONS_PER_IP);
    private final RateLimitedLog readTimeout = new RateLimitedLog(logger, Level.WARN, READ_TIMEOUT);
    // Back-pressure, not an error: a peer that pipelines many requests (a mux client) causes it.
    private final RateLimitedLog inFlightLimit = new RateLimitedLog(logger, Level.INFO, IN_FLIGHT_LIMIT);

    ServerLimits(int maxConnections, int maxConnectionsPerIp, long readTimeoutNanos,
                 int maxInFlightRequestsPerConnection) {
        this.maxConnections = maxConnections;
        this.maxConnectionsPerIp = maxConnectionsPerIp;
        this.readTimeoutNanos = readTimeoutNanos;
        this.maxInFlightRequestsPerConnection = maxInFlightRequestsPerConnection;
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
            tooManyConnections.log("Refusing connection from {}: {} connections open (maxConnections {})",
                                   peer(ip), total - 1, maxConnections);
            return false;
        }
        if (fromIp > maxConnectionsPerIp) {
            tooManyConnectionsPerIp.log("Refusing connection from {}: {} connections open from it "
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
        readTimeout.log("Closing connection from {}: a frame started {} ms ago is still incomplete "
                        + "({} bytes received; readTimeout {} ms)", escapedPeer(peer), waitedNanos / 1_000_000,
                        bufferedBytes, readTimeoutNanos / 1_000_000);
    }

    void inFlightLimitReached(Object peer) {
        inFlightLimit.log("Pausing reads from {} until a call is answered: requests read and not answered "
                          + "reached maxInFlightRequestsPerConnection {}", escapedPeer(peer),
                          maxInFlightRequestsPerConnection);
    }

    /** How often each limit bit, by kind (the constants of this class), in a stable order. */
    Map<String, Long> rejections() {
        final Map<String, Long> m = new LinkedHashMap<>();
        for (RateLimitedLog l : new RateLimitedLog[] {tooManyConnections, tooManyConnectionsPerIp, readTimeout,
                                                      inFlightLimit}) {
            m.put(l.kind(), l.count());
        }
        return m;
    }

    private static String peer(InetAddress ip) {
        return ip == null ? "a peer without an IP address" : escapedPeer(ip.getHostAddress());
    }

    // A socket address is not text from the peer, but escaping costs nothing and keeps the rule simple.
    private static String escapedPeer(Object peer) {
        return LogValues.escape(String.valueOf(peer));
    }
}
