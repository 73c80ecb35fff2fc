package io.kitex4j.core.discovery;

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

    @Test
    void rejectsPortsThatAreNotAsciiDigits() {
        assertThatThrownBy(() -> HostAndPort.parse("10.0.0.5:+80")).hasMessageContaining("bad port '+80'");
        assertThatThrownBy(() -> HostAndPort.parse("10.0.0.5:\u0668\u0660")).hasMessageContaining("bad port");
        assertThatThrownBy(() -> HostAndPort.parse("10.0.0.5:")).hasMessageContaining("bad port ''");
        assertThatThrownBy(() -> HostAndPort.parse("10.0.0.5:99999999999")).hasMessageContaining("bad port");
        assertThat(HostAndPort.parse("10.0.0.5:0080").port()).isEqualTo(80);
    }

    @Test
    void parseDialableRefusesWhatNoClientCanDial() {
        assertThat(HostAndPort.parseDialable("10.0.0.5:8888")).isEqualTo(new HostAndPort("10.0.0.5", 8888));
        assertThat(HostAndPort.parseDialable("fd00::1:8888")).isEqualTo(new HostAndPort("fd00::1", 8888));
        assertThat(HostAndPort.parseDialable("[fe80::1%eth9]:1").host()).isEqualTo("fe80::1%eth9");
        assertThat(HostAndPort.parseDialable("[::ffff:10.0.0.1]:1").port()).isEqualTo(1);
        assertThat(HostAndPort.parseDialable("echo.svc.cluster.local:1").port()).isEqualTo(1);
        assertThatThrownBy(() -> HostAndPort.parseDialable(":8888")).hasMessageContaining("has no host");
        assertThatThrownBy(() -> HostAndPort.parseDialable("10.0.0.5:0")).hasMessageContaining("port 0");
        assertThatThrownBy(() -> HostAndPort.parseDialable("a b:1")).hasMessageContaining("space or control");
        assertThatThrownBy(() -> HostAndPort.parseDialable("a\u0000:1")).hasMessageContaining("space or control");
        assertThatThrownBy(() -> HostAndPort.parseDialable("a\u00a0b:1")).hasMessageContaining("space or control");
        assertThatThrownBy(() -> HostAndPort.parseDialable("::1]:1")).hasMessageContaining("unbalanced bracket");
        assertThatThrownBy(() -> HostAndPort.parseDialable("[[::1]]:1")).hasMessageContaining("unbalanced bracket");
        assertThatThrownBy(() -> HostAndPort.parseDialable("a:b:1")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> HostAndPort.parseDialable("[1:2:3]:1")).hasMessageContaining("not an IPv6 address");
        assertThatThrownBy(() -> HostAndPort.parseDialable("10.0.0.5")).hasMessageContaining("has no port");
    }
}
