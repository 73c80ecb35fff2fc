package io.kitex4j.registry;

import io.kitex4j.core.discovery.HostAndPort;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/** Turns a listen address into the address written to etcd, as registry-etcd's {@code getAddressOfRegistration}. */
final class Addresses {

    static final String IP_ENV = "KITEX_IP_TO_REGISTRY";
    static final String PORT_ENV = "KITEX_PORT_TO_REGISTRY";
    static final String TTL_ENV = "KITEX_ETCD_REGISTRY_LEASE_TTL";

    private Addresses() {}

    /**
     * The address to register for {@code listen}.
     *
     * @throws IllegalArgumentException if an environment override is malformed or the port is not in 1..65535
     * @throws IllegalStateException if the host is a wildcard and this host has no non-loopback IPv4 address
     */
    static HostAndPort registeredAddress(HostAndPort listen, Function<String, String> env,
                                         Supplier<List<InetAddress>> interfaceAddresses) {
        String host = listen.host();
        final String hostOverride = env.apply(IP_ENV);
        if (hostOverride != null && !hostOverride.isEmpty()) {
            // Go replaces a wildcard first and fails if there is no IPv4 even when the override is set;
            // checking the override first only removes that pointless failure.
            host = hostOverride;
        } else if (isWildcard(host)) {
            host = firstNonLoopbackIpv4(interfaceAddresses.get());
            if (host == null) {
                throw new IllegalStateException("address: listen address '" + listen
                        + "' is a wildcard and this host has no non-loopback IPv4 address;"
                        + " register a concrete address or set " + IP_ENV);
            }
        }
        int port = listen.port();
        final String portOverride = env.apply(PORT_ENV);
        if (portOverride != null && !portOverride.isEmpty()) {
            final Long parsed = goAtoi(portOverride);
            if (parsed == null) {
                throw new IllegalArgumentException(PORT_ENV + ": '" + portOverride + "' is not an integer");
            }
            if (parsed < 1 || parsed > 65535) {
                throw new IllegalArgumentException(PORT_ENV + ": " + parsed + " is not a port in 1..65535");
            }
            port = parsed.intValue();
        }
        if (port == 0) {
            throw new IllegalArgumentException("address: port 0 in '" + listen
                    + "' cannot be dialed; register the port the server is bound to or set " + PORT_ENV);
        }
        return new HostAndPort(host, port);
    }

    /**
     * Empty, {@code 0.0.0.0}, or an IPv6 any-address such as {@code ::}. Go replaces only empty and
     * {@code "::"}; registering {@code 0.0.0.0} would publish an address no client can reach.
     */
    static boolean isWildcard(String host) {
        if (host.isEmpty() || host.equals("0.0.0.0")) {
            return true;
        }
        if (host.indexOf(':') < 0) {
            return false;
        }
        try {
            // A string with ':' is parsed as an IPv6 literal, never looked up in DNS.
            return InetAddress.getByName(host).isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** As Go's {@code getLocalIPv4Host}: the first IPv4 address, in interface order, that is not loopback. */
    static String firstNonLoopbackIpv4(List<InetAddress> addresses) {
        for (InetAddress a : addresses) {
            if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                return a.getHostAddress();
            }
        }
        return null;
    }

    /** This host's interface addresses, ordered by interface index as Go's {@code net.InterfaceAddrs} lists them. */
    static List<InetAddress> systemInterfaceAddresses() {
        final List<InetAddress> out = new ArrayList<>();
        try {
            NetworkInterface.networkInterfaces()
                    .sorted(Comparator.comparingInt(NetworkInterface::getIndex))
                    .forEach(nif -> nif.inetAddresses().forEach(out::add));
        } catch (SocketException e) {
            throw new IllegalStateException("address: cannot list network interfaces: " + e.getMessage(), e);
        }
        return out;
    }

    static String toLiteral(InetAddress address) {
        return HostAndPort.literal(address);
    }

    /**
     * Go's {@code strconv.Atoi} for a 64-bit int: an optional sign and ASCII decimal digits, nothing
     * else (no spaces, no underscores), in range.
     *
     * @return the value, or {@code null} where Atoi returns an error
     */
    static Long goAtoi(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        int i = 0;
        boolean negative = false;
        if (s.charAt(0) == '+' || s.charAt(0) == '-') {
            negative = s.charAt(0) == '-';
            i = 1;
            if (s.length() == 1) {
                return null;
            }
        }
        long value = 0;
        for (; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            final int d = c - '0';
            // Accumulate negatively so that Long.MIN_VALUE fits.
            if (value < (Long.MIN_VALUE + d) / 10) {
                return null;
            }
            value = value * 10 - d;
        }
        if (!negative) {
            if (value == Long.MIN_VALUE) {
                return null;
            }
            value = -value;
        }
        return value;
    }
}
