package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ConnectFailedException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.net.ServerSocket;
import java.time.Duration;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fixed addresses, one of which refuses connections (nothing listens there): the client leaves it
 * out after its first refusal, fails open when nothing else is left, and can be told not to.
 */
@ExtendWith(NettyLeakDetection.class)
class RefusedInstanceTest {

    private ScriptedServer server;
    private KitexClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static String refusingAddress() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    private static ScriptedServer echo() throws InterruptedException {
        return new ScriptedServer((ctx, req) -> ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue())));
    }

    @Test
    void aRefusingAddressIsLeftOutAfterItsFirstRefusal() throws Exception {
        server = echo();
        final String dead = refusingAddress();
        // A backoff longer than the test: no probe either.
        client = KitexClient.builder().service("interop").addresses(dead, server.address())
                .refusedInstanceBackoff(Duration.ofMinutes(1), Duration.ofMinutes(1)).build();
        final RefusedInstanceStats before = KitexClient.refusedInstanceStats();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 200; i++) {
            assertThat(stub.echoString("v" + i)).isEqualTo("v" + i);
        }
        final RefusedInstanceStats after = KitexClient.refusedInstanceStats();
        assertThat(after.refusedConnects() - before.refusedConnects()).as("connects to the refusing address")
                .isEqualTo(1);
        assertThat(after.marks() - before.marks()).isEqualTo(1);
        assertThat(RefusedAddresses.shared().isMarked(dead)).isTrue();
        // 200 calls, 200 requests, and the first one retried: 201 attempts in all.
        assertThat(server.requests).hasSize(200);
    }

    @Test
    void everyAddressRefusingStillCallsThemAndFailsWithTheConnectError() throws Exception {
        final String dead1 = refusingAddress();
        final String dead2 = refusingAddress();
        client = KitexClient.builder().service("interop").addresses(dead1, dead2)
                .refusedInstanceBackoff(Duration.ofMinutes(1), Duration.ofMinutes(1)).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> stub.echoString("x"))
                    .isInstanceOf(ConnectFailedException.class)
                    .hasMessageContaining("Connection refused");
        }
        assertThat(RefusedAddresses.shared().isMarked(dead1)).isTrue();
        assertThat(RefusedAddresses.shared().isMarked(dead2)).isTrue();
    }

    @Test
    void turnedOffEveryPickMayGoToTheRefusingAddress() throws Exception {
        server = echo();
        final String dead = refusingAddress();
        client = KitexClient.builder().service("interop").addresses(dead, server.address())
                .avoidRefusedInstances(false).build();
        final RefusedInstanceStats before = KitexClient.refusedInstanceStats();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 20; i++) {
            assertThat(stub.echoString("v" + i)).isEqualTo("v" + i);
        }
        assertThat(RefusedAddresses.shared().isMarked(dead)).isFalse();
        assertThat(KitexClient.refusedInstanceStats().refusedConnects()).isEqualTo(before.refusedConnects());
    }
}
