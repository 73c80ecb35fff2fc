package io.kitex4j.registry;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.RegistrationInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** registry-etcd's getAddressOfRegistration, with kitex4j's documented differences. */
class AddressesTest {

    private static final Function<String, String> NO_ENV = name -> null;

    private static List<InetAddress> interfaces(String... literals) {
        return java.util.Arrays.stream(literals).map(AddressesTest::ip).toList();
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String resolve(String listen, Function<String, String> env, List<InetAddress> ifs) {
        return Addresses.registeredAddress(HostAndPort.parse(listen), env, () -> ifs).toString();
    }

    private static String resolve(String listen) {
        return resolve(listen, NO_ENV, interfaces("::1", "127.0.0.1", "fe80::1", "192.0.2.7", "10.0.0.1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {":8888", "[::]:8888", "0.0.0.0:8888", "[0:0:0:0:0:0:0:0]:8888"})
    void wildcardHostBecomesTheFirstNonLoopbackIpv4(String listen) {
        // Go replaces only "" and "::"; 0.0.0.0 is replaced on purpose (Go would publish an undialable address).
        assertThat(resolve(listen)).isEqualTo("192.0.2.7:8888");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.5:8888", "echo.internal:8888", "[fd00::1]:8888", "127.0.0.1:8888"})
    void concreteHostIsKept(String listen) {
        assertThat(resolve(listen)).isEqualTo(HostAndPort.parse(listen).toString());
    }

    @Test
    void ipv6IsWrittenInBrackets() {
        assertThat(resolve("fd00::1:8888")).isEqualTo("[fd00::1]:8888");
    }

    @Test
    void noIpv4ForAWildcardFailsWithAHint() {
        assertThatThrownBy(() -> resolve(":8888", NO_ENV, interfaces("127.0.0.1", "::1", "fd00::1")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no non-loopback IPv4")
                .hasMessageContaining("KITEX_IP_TO_REGISTRY");
    }

    @Test
    void envOverridesHostAndPortAsGoDoes() {
        final Map<String, String> env = Map.of("KITEX_IP_TO_REGISTRY", "1.2.3.4", "KITEX_PORT_TO_REGISTRY", "9999");
        assertThat(resolve("10.0.0.5:8888", env::get, interfaces())).isEqualTo("1.2.3.4:9999");
        // The override is used even where no local IPv4 exists (Go would fail looking for one first).
        assertThat(resolve(":8888", env::get, interfaces("127.0.0.1"))).isEqualTo("1.2.3.4:9999");
    }

    @Test
    void emptyEnvValuesAreIgnored() {
        final Map<String, String> env = Map.of("KITEX_IP_TO_REGISTRY", "", "KITEX_PORT_TO_REGISTRY", "");
        assertThat(resolve("10.0.0.5:8888", env::get, interfaces())).isEqualTo("10.0.0.5:8888");
    }

    @Test
    void envHostMayBeIpv6AndIsBracketed() {
        assertThat(resolve("10.0.0.5:8888", Map.of("KITEX_IP_TO_REGISTRY", "fd00::1")::get, interfaces()))
                .isEqualTo("[fd00::1]:8888");
        assertThat(resolve("10.0.0.5:8888", Map.of("KITEX_IP_TO_REGISTRY", "[fd00::2]")::get, interfaces()))
                .isEqualTo("[fd00::2]:8888");
    }

    @ParameterizedTest
    @CsvSource({"+9999,9999", "0080,80", "1,1", "65535,65535"})
    void envPortIsParsedAsGoAtoi(String env, int port) {
        assertThat(resolve("10.0.0.5:8888", Map.of("KITEX_PORT_TO_REGISTRY", env)::get, interfaces()))
                .isEqualTo("10.0.0.5:" + port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", " 80", "80 ", "8_0", "0x50", "+", "1e3"})
    void malformedEnvPortFails(String env) {
        assertThatThrownBy(() -> resolve("10.0.0.5:8888", Map.of("KITEX_PORT_TO_REGISTRY", env)::get, interfaces()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("KITEX_PORT_TO_REGISTRY: '" + env + "' is not an integer");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "65536"})
    void envPortOutOfRangeFails(String env) {
        assertThatThrownBy(() -> resolve("10.0.0.5:8888", Map.of("KITEX_PORT_TO_REGISTRY", env)::get, interfaces()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a port in 1..65535");
    }

    @Test
    void portZeroIsRefusedUnlessOverridden() {
        assertThatThrownBy(() -> resolve("10.0.0.5:0")).hasMessageContaining("port 0");
        assertThat(resolve("10.0.0.5:0", Map.of("KITEX_PORT_TO_REGISTRY", "7")::get, interfaces()))
                .isEqualTo("10.0.0.5:7");
    }

    @Test
    void goAtoi() {
        assertThat(Addresses.goAtoi("60")).isEqualTo(60L);
        assertThat(Addresses.goAtoi("-5")).isEqualTo(-5L);
        assertThat(Addresses.goAtoi("+7")).isEqualTo(7L);
        assertThat(Addresses.goAtoi("007")).isEqualTo(7L);
        assertThat(Addresses.goAtoi("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(Addresses.goAtoi("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(Addresses.goAtoi("9223372036854775808")).isNull();
        assertThat(Addresses.goAtoi("-9223372036854775809")).isNull();
        assertThat(Addresses.goAtoi("")).isNull();
        assertThat(Addresses.goAtoi("-")).isNull();
        assertThat(Addresses.goAtoi(" 1")).isNull();
        assertThat(Addresses.goAtoi("1.0")).isNull();
        assertThat(Addresses.goAtoi("\u0661")).isNull(); // ARABIC-INDIC DIGIT ONE: Java's parseInt takes it, Go does not
    }

    @ParameterizedTest
    @CsvSource({
        "fd00:0:0:0:0:0:0:1, fd00::1",
        "0:0:0:0:0:0:0:0, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "1:0:0:0:0:0:0:0, 1::",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:db8:0:1:0:0:0:1, 2001:db8:0:1::1",
        "2001:db8:1:1:1:1:0:1, 2001:db8:1:1:1:1:0:1",
        "10.0.0.5, 10.0.0.5",
    })
    void literalsAreWrittenAsGoNetIpStringDoes(String in, String expected) {
        assertThat(Addresses.toLiteral(ip(in))).isEqualTo(expected);
    }

    @Test
    void registrationInfoTakesASocketAddress() {
        assertThat(RegistrationInfo.builder().service("echo")
                           .address(new InetSocketAddress(ip("fd00:0:0:0:0:0:0:1"), 8888)).build().address())
                .hasToString("[fd00::1]:8888");
        assertThat(RegistrationInfo.builder().service("echo").address(new InetSocketAddress(8888)).build().address())
                .isEqualTo(new HostAndPort("0.0.0.0", 8888));
    }

    @Test
    void systemInterfaceAddressesGiveANonLoopbackIpv4WhenTheHostHasOne() {
        final String ipv4 = Addresses.firstNonLoopbackIpv4(Addresses.systemInterfaceAddresses());
        if (ipv4 != null) {
            assertThat(ipv4).doesNotStartWith("127.").matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
        }
    }
}
