package io.kitex4j.configetcd;

/**
 * The config-etcd categories kitex4j reads: the last segment of a key, config-etcd's {@code Category}.
 * Client categories live under {@code <prefix>/<caller>/<callee>/<category>}, the server one under
 * {@code <prefix>/<server>/<category>} (the default path formats).
 */
public enum ConfigKind {
    /** Client retry policies per method ({@code retry.Policy}): {@code retry}. */
    RETRY("retry", false),
    /** Client timeouts per method ({@code rpctimeout.RPCTimeout}): {@code rpc_timeout}. */
    RPC_TIMEOUT("rpc_timeout", false),
    /** Client service circuit breakers per method ({@code circuitbreak.CBConfig}): {@code circuit_break}. */
    CIRCUIT_BREAK("circuit_break", false),
    /** The server's connection and QPS limits ({@code limiter.LimiterConfig}): {@code limit}. */
    LIMIT("limit", true);

    private final String category;
    private final boolean server;

    ConfigKind(String category, boolean server) {
        this.category = category;
        this.server = server;
    }

    /** The key's last segment, as config-etcd spells it ({@code retry}, {@code rpc_timeout}, ...). */
    public String category() {
        return category;
    }

    /** Whether the key belongs to a server ({@code <server>/<category>}) rather than a client. */
    public boolean isServer() {
        return server;
    }

    /**
     * The kind whose {@link #category()} is {@code category}.
     *
     * @throws IllegalArgumentException for another name
     */
    public static ConfigKind ofCategory(String category) {
        for (ConfigKind k : values()) {
            if (k.category.equals(category)) {
                return k;
            }
        }
        throw new IllegalArgumentException("category: '" + category
                + "' (expected: retry, rpc_timeout, circuit_break or limit)");
    }
}
