package io.kitex4j.registry;

import io.kitex4j.core.discovery.RegistrationInfo;

import static java.util.Objects.requireNonNull;

/**
 * Where instances live in etcd: {@code <prefix>/<service>/<host:port>}.
 *
 * <pre>
 *   kitex/registry-etcd/echo/10.0.0.5:8888
 *   \_________________/ \__/ \___________/
 *         prefix       service   address
 * </pre>
 *
 * <p>The prefix is used verbatim, as registry-etcd's {@code WithEtcdServicePrefix} uses it: no
 * slash is added or trimmed, so {@code "/svc"} gives {@code /svc/echo/...} and {@code ""} gives
 * {@code /echo/...} (the layout Go's deprecated {@code *WithAuth} constructors write).
 *
 * <p>A reader always lists {@link #servicePrefix(String)}, which ends with a slash, so that
 * {@code echo} never matches {@code echo2}.
 */
public final class KeyLayout {

    /** registry-etcd's default prefix. */
    public static final String KITEX_PREFIX = "kitex/registry-etcd";

    /** hertz-contrib/registry etcd's fixed prefix. */
    public static final String HERTZ_PREFIX = "hertz/registry-etcd";

    private static final KeyLayout KITEX = new KeyLayout(KITEX_PREFIX);
    private static final KeyLayout HERTZ = new KeyLayout(HERTZ_PREFIX);

    private final String prefix;

    private KeyLayout(String prefix) {
        this.prefix = prefix;
    }

    /** The layout Go Kitex services use by default: prefix {@code kitex/registry-etcd}. */
    public static KeyLayout kitex() {
        return KITEX;
    }

    /** The layout Hertz services use: prefix {@code hertz/registry-etcd}. */
    public static KeyLayout hertz() {
        return HERTZ;
    }

    /** A layout with a custom prefix, used verbatim. */
    public static KeyLayout withPrefix(String prefix) {
        requireNonNull(prefix, "prefix");
        if (prefix.equals(KITEX_PREFIX)) {
            return KITEX;
        }
        return new KeyLayout(prefix);
    }

    /** The prefix, verbatim. */
    public String prefix() {
        return prefix;
    }

    /** {@code <prefix>/<service>/}: every instance key of the service starts with it. */
    public String servicePrefix(String service) {
        validateServiceName(service);
        return prefix + '/' + service + '/';
    }

    /** {@code <prefix>/<service>/<address>}. */
    public String serviceKey(String service, String address) {
        requireNonNull(address, "address");
        if (address.isEmpty()) {
            throw new IllegalArgumentException("address: must not be empty");
        }
        return servicePrefix(service) + address;
    }

    /** {@code <prefix>/}: every key of every service in this layout starts with it. */
    public String rootPrefix() {
        return prefix + '/';
    }

    /**
     * Splits a key of this layout into its service and the address written in the key, or returns
     * {@code null} when the key is not {@code <prefix>/<service>/<address>}. Readers take the address
     * from the value, not from the key; this is for listing services.
     */
    public ServiceKey parseKey(String key) {
        requireNonNull(key, "key");
        final String root = rootPrefix();
        if (!key.startsWith(root)) {
            return null;
        }
        final int slash = key.indexOf('/', root.length());
        if (slash <= root.length() || slash == key.length() - 1) {
            return null;
        }
        return new ServiceKey(key.substring(root.length(), slash), key.substring(slash + 1));
    }

    /**
     * A key split into its parts.
     *
     * @param service the service name
     * @param address the address as written in the key
     */
    public record ServiceKey(String service, String address) {}

    /**
     * Rejects what registry-etcd rejects: an empty service name, and a name containing {@code /}
     * (which would let {@code a/b} collide with service {@code a}).
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static void validateServiceName(String service) {
        RegistrationInfo.validateServiceName(service);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyLayout other && prefix.equals(other.prefix);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode();
    }

    @Override
    public String toString() {
        return "KeyLayout{prefix='" + prefix + "'}";
    }
}
