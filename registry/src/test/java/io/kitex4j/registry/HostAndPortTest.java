package io.kitex4j.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostAndPortTest {

    @Test
    void parsesIpv4AndHostNames() {
        assertThat(HostAndPort.parse("10.0.0.5:8888")).isEqualTo(new HostAndPort("10.0.0.5", 8888));
        assertThat(HostAndPort.parse("echo.local:1")).isEqualTo(new HostAndPort("echo.local", 1));
    }

    @Test
    void parsesGoUnbracketedIpv6AtTheLastColon() {
        // registry-etcd writes fmt.Sprintf("%s:%d") for IPv6 too.
        final HostAndPort hp = HostAndPort.parse("fd00::1:8888");
        assertThat(hp.host()).isEqualTo("fd00::1");
        assertThat(hp.port()).isEqualTo(8888);
        assertThat(hp.isIpv6()).isTrue();
    }

    @Test
    void parsesBracketedIpv6AndWritesItBracketed() {
        final HostAndPort hp = HostAndPort.parse("[fd00::1]:8888");
        assertThat(hp.host()).isEqualTo("fd00::1");
        assertThat(hp).hasToString("[fd00::1]:8888");
        assertThat(HostAndPort.parse("fd00::1:8888")).hasToString("[fd00::1]:8888");
        assertThat(new HostAndPort("[::1]", 1)).hasToString("[::1]:1");
    }

    @Test
    void parsesAnEmptyHostAsTheWildcardListenAddress() {
        assertThat(HostAndPort.parse(":8888")).isEqualTo(new HostAndPort("", 8888));
        assertThat(HostAndPort.parse("[::]:8888").host()).isEqualTo("::");
    }

    @Test
    void rejectsMissingOrBadPorts() {
        assertThatThrownBy(() -> HostAndPort.parse("10.0.0.5")).hasMessageContaining("has no port");
        assertThatThrownBy(() -> HostAndPort.parse("10.0.0.5:http")).hasMessageContaining("bad port 'http'");
        assertThatThrownBy(() -> HostAndPort.parse("10.0.0.5:70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> HostAndPort.parse("[fd00::1:8888")).hasMessageContaining("unclosed '['");
        assertThatThrownBy(() -> new HostAndPort("h", -1)).hasMessageContaining("port: -1");
    }
}
