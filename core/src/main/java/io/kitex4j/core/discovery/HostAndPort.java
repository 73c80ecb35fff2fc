package io.kitex4j.core.discovery;

import static java.util.Objects.requireNonNull;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

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
        // ASCII digits only, as Go's net.parsePort: Integer.parseInt would also take "+80" and
        // non-ASCII digits, which no dialer reads as a port.
        if (portText.isEmpty() || portText.length() > 10 || !isAsciiDigits(portText)) {
            throw new IllegalArgumentException("address: '" + address + "' has a bad port '" + portText + "'");
        }
        final long port = Long.parseLong(portText);
        if (port > 65535) {
            throw new IllegalArgumentException("address: '" + address + "' has a port out of range");
        }
        return new HostAndPort(host, (int) port);
    }

    /**
     * Parses an address that a client is about to dial, such as a registry value's
     * {@code address}: as {@link #parse(String)}, and besides
     * <ul>
     *   <li>the host is not empty (Go would dial the local host for {@code ":8888"}, which is
     *       never the instance that registered it);
     *   <li>the host has no space, control character or bracket left after the brackets around an
     *       IPv6 literal are removed;
     *   <li>a host with a colon is a valid IPv6 literal (a zone such as {@code %eth0} is allowed);
     *   <li>the port is in 1..65535: nothing listens on port 0.
     * </ul>
     *
     * @throws IllegalArgumentException saying what is wrong; the message contains the address verbatim,
     *     so escape it before logging a value that came from outside
     */
    public static HostAndPort parseDialable(String address) {
        final HostAndPort hp = parse(address);
        // The host as written, less one pair of brackets: the record's constructor would strip a second pair.
        String host = address.substring(0, address.lastIndexOf(':'));
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("address: '" + address + "' has no host");
        }
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            if (c <= ' ' || Character.isISOControl(c) || Character.isSpaceChar(c)) {
                throw new IllegalArgumentException(
                        "address: '" + address + "' has a space or control character in its host");
            }
            if (c == '[' || c == ']') {
                throw new IllegalArgumentException("address: '" + address + "' has an unbalanced bracket");
            }
        }
        if (hp.isIpv6()) {
            final int zone = host.indexOf('%');
            final String literal = zone < 0 ? host : host.substring(0, zone);
            if (!isIpv6Literal(literal)) {
                throw new IllegalArgumentException("address: '" + address + "' has a host with ':' that is not "
                        + "an IPv6 address");
            }
        }
        if (hp.port == 0) {
            throw new IllegalArgumentException("address: '" + address + "' has port 0, which cannot be dialled");
        }
        return hp;
    }

    private static boolean isAsciiDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean isIpv6Literal(String s) {
        if (s.isEmpty() || s.indexOf(':') < 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        try {
            // A string with ':' is only ever parsed as an IPv6 literal by InetAddress, never looked up
            // in DNS. (An IPv4-mapped literal such as ::ffff:10.0.0.1 comes back as an Inet4Address.)
            InetAddress.getByName(s);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
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

    /** The textual form Go's {@code net.IP.String} gives: IPv6 compressed as RFC 5952, zone kept. */
    public static String literal(InetAddress address) {
        if (!(address instanceof Inet6Address v6)) {
            return address.getHostAddress();
        }
        final byte[] b = v6.getAddress();
        final int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // The longest run of two or more zero groups, the first one on a tie, becomes "::".
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        final StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        final String full = v6.getHostAddress();
        final int zone = full.indexOf('%');
        if (zone >= 0) {
            sb.append(full, zone, full.length());
        }
        return sb.toString();
    }
}
