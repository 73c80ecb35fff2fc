package io.kitex4j.registry;

import io.kitex4j.core.discovery.SkippedKey;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Instance;
import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * One key under a service's prefix, read the way every kitex4j reader reads it: either an
 * {@link #instance()} a client can dial, or a {@link #skipReason()} saying why the key is skipped.
 *
 * <p>{@link #decode(String, byte[], int)} is the one decoding of a registry value in kitex4j: the
 * resolver ({@code EtcdResolver}, and through it {@code kitex4j watch} and every client) and
 * {@code kitex4j ls} all use it, so they always show the same instances and skip the same keys.
 *
 * <p>A key is skipped when
 * <ul>
 *   <li>its value is not what Go's {@code json.Unmarshal} reads into registry-etcd's
 *       {@code instanceInfo} ({@link InstanceCodec#decode(byte[])}): an empty value, malformed
 *       JSON, a weight that is not an integer, and so on. Go's resolver skips these too;
 *   <li>or its instance could never be dialled: an address that {@link HostAndPort#parseDialable}
 *       refuses (empty, no port, port 0 or over 65535, an unbalanced bracket, a space or control
 *       character), a network that is not TCP ({@code tcp}, {@code tcp4}, {@code tcp6}), including
 *       {@code unix}, because a kitex4j client dials only TCP. The JSON value {@code null} decodes, as
 *       in Go, to an instance with no network and no address, and is skipped for that reason.
 *       Go's registry-etcd resolver does not check addresses at all
 *       ({@code etcd_resolver.go#Resolve} hands {@code info.Network} and {@code info.Address} to
 *       {@code discovery.NewInstance} unchecked), so a Go client keeps such an instance and fails
 *       each call it picks it for; kitex4j never picks it.
 * </ul>
 *
 * @param key the etcd key, as UTF-8 text
 * @param instance the instance, with a weight &le; 0 replaced by the default weight, or {@code null}
 *     when the key is skipped
 * @param skipReason why the key is skipped, or {@code null}. It may contain parts of the value
 *     verbatim: escape it before logging or printing it
 * @param storedWeight the weight as stored, before a weight &le; 0 is replaced; 0 when the key is
 *     skipped
 * @param storedTagsNull whether the value holds {@code "tags":null} or no tags at all (Go's nil
 *     map), which {@link Instance#tags()} cannot tell from {@code "tags":{}}
 */
public record RegistryEntry(String key, Instance instance, String skipReason, int storedWeight,
                            boolean storedTagsNull) {

    /** The networks a kitex4j client can dial: Go's names for TCP ({@code net.Dial}). */
    public static final Set<String> DIALABLE_NETWORKS = Set.of("tcp", "tcp4", "tcp6");

    private static final Set<String> UNIX_NETWORKS = Set.of("unix", "unixgram", "unixpacket");

    /** Checks that exactly one of {@code instance} and {@code skipReason} is set. */
    public RegistryEntry {
        requireNonNull(key, "key");
        if ((instance == null) == (skipReason == null)) {
            throw new IllegalArgumentException("exactly one of instance and skipReason must be set");
        }
    }

    /**
     * An entry whose stored weight is the instance's, with {@code "tags":null} for no tags, as
     * kitex4j and a Go server with no tags write it.
     */
    public RegistryEntry(String key, Instance instance, String skipReason) {
        this(key, instance, skipReason, instance == null ? 0 : instance.weight(),
             instance == null || instance.tags().isEmpty());
    }

    /** Whether the weight a client uses differs from the stored one (a stored weight &le; 0). */
    public boolean weightDefaulted() {
        return instance != null && instance.weight() != storedWeight;
    }

    /**
     * Reads one registry value.
     *
     * @param key the key, for the entry and its messages
     * @param value the value's bytes, as stored
     * @param defaultWeight what a weight &le; 0 reads as (registry-etcd's {@code WithDefaultWeight},
     *     10 by default); a value &le; 0 leaves such weights as they are, as in Go
     */
    public static RegistryEntry decode(String key, byte[] value, int defaultWeight) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        final InstanceCodec.Stored stored;
        try {
            stored = InstanceCodec.decodeStored(value);
        } catch (InvalidInstanceException e) {
            return skipped(key, e.getMessage());
        }
        final Instance instance = stored.instance();
        final String problem = dialProblem(instance);
        if (problem != null) {
            return skipped(key, problem);
        }
        // As Go's resolver: weight <= 0 reads as the default weight, unless the default itself is <= 0.
        final Instance weighted =
                defaultWeight > 0 && instance.weight() <= 0 ? instance.withWeight(defaultWeight) : instance;
        return new RegistryEntry(key, weighted, null, instance.weight(), stored.tagsNull());
    }

    /** This skipped entry as a resolver reports it; fails if the entry has an instance. */
    public SkippedKey toSkippedKey() {
        if (skipReason == null) {
            throw new IllegalStateException("not a skipped entry: " + key);
        }
        return new SkippedKey(key, skipReason);
    }

    /** An entry for a skipped key. */
    public static RegistryEntry skipped(String key, String reason) {
        return new RegistryEntry(key, null, requireNonNull(reason, "reason"));
    }

    /**
     * Why a kitex4j client could never dial {@code instance}, or {@code null} if it can.
     */
    public static String dialProblem(Instance instance) {
        requireNonNull(instance, "instance");
        final String network = instance.network();
        if (UNIX_NETWORKS.contains(network)) {
            return "network '" + network + "' (a Unix socket at '" + instance.address()
                    + "'): a kitex4j client can dial only TCP";
        }
        if (instance.address().isEmpty()) {
            return "address: empty";
        }
        try {
            HostAndPort.parseDialable(instance.address());
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!DIALABLE_NETWORKS.contains(network)) {
            return "network: unknown network '" + network + "' (expected: tcp, tcp4 or tcp6)";
        }
        return null;
    }

    /** Whether the key is skipped. */
    public boolean isSkipped() {
        return instance == null;
    }
}
