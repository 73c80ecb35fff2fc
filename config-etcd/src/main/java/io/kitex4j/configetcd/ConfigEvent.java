package io.kitex4j.configetcd;

import java.util.Objects;

/**
 * What an {@link EtcdConfigWatcher} did with a value of one key: applied it, went back to the defaults
 * (the key was deleted), or rejected it (the last good config stays).
 *
 * @param key the etcd key
 * @param kind the key's category
 * @param type what happened
 * @param value the value as read (escaped and cut to 512 characters for safe display), or {@code null}
 *     for {@link Type#RESTORED_DEFAULTS}
 * @param error why the value was rejected, for {@link Type#REJECTED}; otherwise {@code null}
 */
public record ConfigEvent(String key, ConfigKind kind, Type type, String value, InvalidConfigException error) {

    /** What happened to the value. */
    public enum Type {
        /** A new value was parsed and is in force. */
        APPLIED,
        /** The key was deleted: back to the defaults, as config-etcd does. */
        RESTORED_DEFAULTS,
        /** The value was refused; the last good config stays in force. */
        REJECTED
    }

    /** Checks that the key, kind and type are set. */
    public ConfigEvent {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(type, "type");
    }
}
