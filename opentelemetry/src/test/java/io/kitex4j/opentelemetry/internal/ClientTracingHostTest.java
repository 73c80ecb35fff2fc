package io.kitex4j.opentelemetry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.kitex4j.opentelemetry.KitexTracing;
import io.opentelemetry.api.OpenTelemetry;

/** The client span's {@code network.peer.address}: the remote's host string, remembered per address object. */
class ClientTracingHostTest {

    private final ClientTracing tracing = new ClientTracing(new Instrumentation(OpenTelemetry.noop(),
            KitexTracing.defaultPropagator(), "", "", "", Map.of(), false, true, true));

    @Test
    void equalAddressesWithOtherHostNamesKeepTheirOwn() throws Exception {
        final byte[] loopback = {127, 0, 0, 1};
        final InetSocketAddress literal = new InetSocketAddress(InetAddress.getByAddress(loopback), 8888);
        final InetSocketAddress named = new InetSocketAddress(InetAddress.getByAddress("localhost", loopback), 8888);
        assertThat(named).isEqualTo(literal);
        assertThat(tracing.hostString(literal)).isEqualTo("127.0.0.1");
        assertThat(tracing.hostString(literal)).isEqualTo("127.0.0.1");
        assertThat(tracing.hostString(named)).isEqualTo("localhost");
        assertThat(tracing.hostString(literal)).isEqualTo("127.0.0.1");
        assertThat(tracing.hostString(InetSocketAddress.createUnresolved("echo.example", 80)))
                .isEqualTo("echo.example");
    }
}
