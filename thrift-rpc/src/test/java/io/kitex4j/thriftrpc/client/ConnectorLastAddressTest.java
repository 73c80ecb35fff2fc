package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** {@link Connector.LastAddress}: what {@code RpcCall.remoteAddress()} parses, once per address in a row. */
class ConnectorLastAddressTest {

    @Test
    void theSameAddressGivesTheSameObjectAndAnotherOneIsParsed() {
        final Connector.LastAddress cache = new Connector.LastAddress();
        final InetSocketAddress first = cache.socketAddress("127.0.0.1:8888");
        assertThat(first).hasToString("/127.0.0.1:8888");
        assertThat(cache.socketAddress(new String("127.0.0.1:8888"))).isSameAs(first);
        final InetSocketAddress other = cache.socketAddress("127.0.0.2:9999");
        assertThat(other).isEqualTo(new InetSocketAddress("127.0.0.2", 9999));
        assertThat(cache.socketAddress("127.0.0.1:8888")).isNotSameAs(first).isEqualTo(first);
    }

    @Test
    void parsesAsToSocketAddress() {
        final Connector.LastAddress cache = new Connector.LastAddress();
        final InetSocketAddress named = cache.socketAddress("echo.example:80");
        assertThat(named.isUnresolved()).isTrue();
        assertThat(named.getHostString()).isEqualTo("echo.example");
        assertThat(cache.socketAddress("[::1]:80")).isEqualTo(Connector.toSocketAddress("[::1]:80"));
        assertThatThrownBy(() -> cache.socketAddress("no-port")).isInstanceOf(IllegalArgumentException.class);
    }
}
