package io.kitex4j.configetcd;

/**
 * A server's limits from config-etcd's {@code limit} key ({@code limiter.LimiterConfig}:
 * {@code connection_limit}, {@code qps_limit}); 0 turns a limit off, as in Kitex. Meant for
 * {@code KitexServer.updateLimits(connectionLimit, qpsLimit)}.
 *
 * @param connectionLimit the most open connections, 0 for no limit
 * @param qpsLimit the most requests per second, 0 for no limit
 */
public record ServerLimits(int connectionLimit, int qpsLimit) {

    /** No limits: what a deleted {@code limit} key means, as in config-etcd. */
    public static final ServerLimits NONE = new ServerLimits(0, 0);

    /**
     * Checks the limits.
     *
     * @throws IllegalArgumentException if one is negative
     */
    public ServerLimits {
        if (connectionLimit < 0) {
            throw new IllegalArgumentException("connectionLimit: " + connectionLimit + " (expected: >= 0, 0 for none)");
        }
        if (qpsLimit < 0) {
            throw new IllegalArgumentException("qpsLimit: " + qpsLimit + " (expected: >= 0, 0 for none)");
        }
    }
}
