package io.kitex4j.registry;

import static java.util.Objects.requireNonNull;

/**
 * A host and a port, parsed the lenient way a registry reader must and formatted the way a Go
 * client can dial.
 *
 * <p>{@link #toString()} puts an IPv6 host in brackets ({@code [fd00::1]:8888}), which is what Go's
 * {@code net.JoinHostPort} writes and what Go's dialer ({@code net.SplitHostPort}) accepts. Go's
 * registry-etcd writes IPv6 without brackets ({@code fd00::1:8888}), which no Go client can dial;
 * {@link #parse(String)} still reads that form by splitting at the last colon.
 *
 * @param host the host without brackets: an IPv4 or IPv6 literal, or a host name
 * @param port the port, 0 to 65535
 */
public record HostAndPort(String host, int port) {

    public HostAndPort {
        requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " is not in 0..65535");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port} or Go's unbracketed {@code v6:port}.
     *
     * @throws IllegalArgumentException if there is no port or it is not a number in range
     */
    public static HostAndPort parse(String address) {
        requireNonNull(address, "address");
        final int colon = address.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("address: '" + address + "' has no port");
        }
        String host = address.substring(0, colon);
        final String portText = address.substring(colon + 1);
        if (host.startsWith("[")) {
            if (!host.endsWith("]")) {
                throw new IllegalArgumentException("address: '" + address + "' has an unclosed '['");
            }
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address: '" + address + "' has a bad port '" + portText + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("address: '" + address + "' has a port out of range");
        }
        return new HostAndPort(host, port);
    }

    /** Whether the host is an IPv6 literal. */
    public boolean isIpv6() {
        return host.indexOf(':') >= 0;
    }

    /** {@code host:port}, with an IPv6 host in brackets. */
    @Override
    public String toString() {
        return isIpv6() ? '[' + host + "]:" + port : host + ':' + port;
    }
}
