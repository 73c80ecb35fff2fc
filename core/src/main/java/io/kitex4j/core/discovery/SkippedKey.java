package io.kitex4j.core.discovery;

import static java.util.Objects.requireNonNull;

/**
 * A registry key that a resolver found under a service's prefix but does not offer as an instance,
 * with the reason: a value that does not decode, or an instance no client could dial.
 *
 * @param key the registry key, as text
 * @param skipReason why it is skipped. It may contain parts of the stored value verbatim: escape it
 *     before logging or printing it
 */
public record SkippedKey(String key, String skipReason) {

    /** Checks both values are present. */
    public SkippedKey {
        requireNonNull(key, "key");
        requireNonNull(skipReason, "skipReason");
    }
}
