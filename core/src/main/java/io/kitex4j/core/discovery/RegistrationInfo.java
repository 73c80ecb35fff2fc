package io.kitex4j.core.discovery;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to register: a service name, the address the server listens on, a weight and tags (Kitex's
 * {@code registry.Info}).
 *
 * <p>Immutable. The address is the <em>listen</em> address; the registry turns it into the address
 * clients dial (a wildcard host becomes this host's IPv4 address, and the
 * {@code KITEX_IP_TO_REGISTRY} / {@code KITEX_PORT_TO_REGISTRY} environment variables override it;
 * see {@link EtcdRegistry}).
 *
 * <pre>{@code
 * RegistrationInfo info = RegistrationInfo.builder()
 *         .service("echo")
 *         .address(":8888")        // or "10.0.0.5:8888", "[fd00::1]:8888", an InetSocketAddress
 *         .weight(10)
 *         .tag("cluster", "a")
 *         .build();
 * }</pre>
 */
public final class RegistrationInfo {

    private final String service;
    private final HostAndPort address;
    private final int weight;
    private final Map<String, String> tags;

    private RegistrationInfo(Builder b) {
        this.service = b.service;
        this.address = b.address;
        this.weight = b.weight;
        this.tags = b.tags.isEmpty() ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(b.tags));
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A registration of {@code service} listening at {@code address} ({@code host:port}), weight 0 (written as 10), no tags. */
    public static RegistrationInfo of(String service, String address) {
        return builder().service(service).address(address).build();
    }

    /**
     * Checks a service name as a registry key needs it: not empty, and no {@code /} (it is one path
     * segment of {@code <prefix>/<service>/<address>}).
     *
     * @throws IllegalArgumentException if it is empty or contains {@code /}
     */
    public static void validateServiceName(String service) {
        requireNonNull(service, "service");
        if (service.isEmpty()) {
            throw new IllegalArgumentException("service: must not be empty");
        }
        if (service.indexOf('/') >= 0) {
            throw new IllegalArgumentException("service: '" + service + "' must not contain '/'");
        }
    }

    /** The service name, never empty, without {@code /}. */
    public String service() {
        return service;
    }

    /** The listen address; its host may be empty or a wildcard. */
    public HostAndPort address() {
        return address;
    }

    /**
     * The weight as given. 0 means "the Kitex default" and is written as 10, as a Kitex server
     * does; a negative weight is written as is (Go resolvers then use their default weight).
     */
    public int weight() {
        return weight;
    }

    /** The tags, sorted by key, never {@code null}. */
    public Map<String, String> tags() {
        return tags;
    }

    @Override
    public String toString() {
        return "RegistrationInfo{service=" + service + ", address=" + address + ", weight=" + weight
               + (tags.isEmpty() ? "" : ", tags=" + tags) + '}';
    }

    /** Builds a {@link RegistrationInfo}; {@link #build()} checks the values. */
    public static final class Builder {
        private String service;
        private HostAndPort address;
        private int weight;
        private final Map<String, String> tags = new TreeMap<>();

        private Builder() {}

        /** The service name (Kitex's {@code ServiceName}): required, not empty, no {@code /}. */
        public Builder service(String service) {
            this.service = requireNonNull(service, "service");
            return this;
        }

        /**
         * The listen address as {@code host:port}, {@code [v6]:port} or {@code :port} (any
         * interface).
         *
         * @throws IllegalArgumentException if it has no port or the port is not a number in range
         */
        public Builder address(String address) {
            requireNonNull(address, "address");
            return address(HostAndPort.parse(address));
        }

        /** The listen address. */
        public Builder address(HostAndPort address) {
            this.address = requireNonNull(address, "address");
            return this;
        }

        /** The listen address, e.g. a server socket's local address. */
        public Builder address(InetSocketAddress address) {
            requireNonNull(address, "address");
            final String host = address.isUnresolved() ? address.getHostString()
                    : HostAndPort.literal(address.getAddress());
            return address(new HostAndPort(host, address.getPort()));
        }

        /** The weight; default 0, which is written as 10. */
        public Builder weight(int weight) {
            this.weight = weight;
            return this;
        }

        /** Adds tags; a key given twice keeps the last value. */
        public Builder tags(Map<String, String> tags) {
            requireNonNull(tags, "tags");
            tags.forEach(this::tag);
            return this;
        }

        /** Adds one tag. */
        public Builder tag(String key, String value) {
            requireNonNull(key, "tag key");
            requireNonNull(value, "tag value");
            tags.put(key, value);
            return this;
        }

        /**
         * Checks the values.
         *
         * @throws IllegalArgumentException if the service is missing, empty or contains {@code /},
         *     or the address is missing
         */
        public RegistrationInfo build() {
            if (service == null) {
                throw new IllegalArgumentException("service: required");
            }
            validateServiceName(service);
            if (address == null) {
                throw new IllegalArgumentException("address: required");
            }
            return new RegistrationInfo(this);
        }
    }
}
