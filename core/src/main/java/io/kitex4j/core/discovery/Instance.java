package io.kitex4j.core.discovery;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One service instance as Kitex sees it: the four fields of registry-etcd's {@code instanceInfo}.
 *
 * <p>Instances are immutable. {@link #tags()} is sorted by key (the order Go's {@code encoding/json}
 * writes a map in) and never {@code null}; an empty map is written to etcd as {@code "tags":null},
 * exactly as a Go server with no tags writes it.
 *
 * <p>The weight is kept as given. Turning weight 0 into 10 on write, and weight &le; 0 into the
 * default weight on read, are the registry's and the resolver's jobs, not this type's.
 *
 * @param network the network, {@code "tcp"} for every Kitex server
 * @param address {@code host:port}; an IPv6 host is in brackets when written by kitex4j, and may be
 *     unbracketed when written by Go (see {@link HostAndPort#parse(String)})
 * @param weight the load-balancing weight
 * @param tags the tags, sorted by key, never {@code null}
 */
public record Instance(String network, String address, int weight, Map<String, String> tags) {

    /** The network every Kitex TCP server registers with. */
    public static final String TCP = "tcp";

    /** Kitex's {@code discovery.DefaultWeight}. */
    public static final int DEFAULT_WEIGHT = 10;

    public Instance {
        requireNonNull(network, "network");
        requireNonNull(address, "address");
        tags = tags == null || tags.isEmpty()
                ? Map.of()
                : Collections.unmodifiableMap(new TreeMap<>(tags));
    }

    /** A TCP instance with no tags. */
    public static Instance of(String address, int weight) {
        return new Instance(TCP, address, weight, Map.of());
    }

    /** A TCP instance with tags. */
    public static Instance of(String address, int weight, Map<String, String> tags) {
        return new Instance(TCP, address, weight, tags);
    }

    /** A copy with another weight. */
    public Instance withWeight(int newWeight) {
        return newWeight == weight ? this : new Instance(network, address, newWeight, tags);
    }

    /** Returns the tag value, or {@code null}. */
    public String tag(String key) {
        return tags.get(key);
    }
}
