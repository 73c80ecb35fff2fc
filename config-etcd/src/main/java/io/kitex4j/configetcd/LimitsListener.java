package io.kitex4j.configetcd;

/**
 * Receives a server's limits from its {@code limit} key, typically
 * {@code limits -> server.updateLimits(limits.connectionLimit(), limits.qpsLimit())}. Called on the
 * watcher's thread: once with the key's value if it exists when watching starts, then on every accepted
 * change, and with {@link ServerLimits#NONE} when the key is deleted (config-etcd's behaviour). Never called
 * for a rejected value, nor when the key is absent at the start (so the server keeps the limits it was
 * built with). It must not block.
 */
@FunctionalInterface
public interface LimitsListener {

    /** The limits now in force. */
    void onLimits(ServerLimits limits);
}
