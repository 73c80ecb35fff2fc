package io.kitex4j.thriftrpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.ConnectionLostException;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A real server with {@code maxQps}: over the limit its connection closes unanswered; limits change live. */
@ExtendWith(NettyLeakDetection.class)
class KitexServerQpsLimitTest {

    private KitexServer server;
    private KitexClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private int okOf(EchoService.Iface stub, int calls) {
        int ok = 0;
        for (int i = 0; i < calls; i++) {
            try {
                stub.echo("x");
                ok++;
            } catch (ConnectionLostException e) {
                // over the limit
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return ok;
    }

    @Test
    void overTheLimitTheConnectionClosesWithoutAReplyAndUpdatesApplyLive() throws Exception {
        server = KitexServer.builder().service(EchoService.class, (EchoService.Iface) msg -> msg).shutdownHook(false).maxQps(100)
                .build().startBlocking();
        assertThat(server.maxQps()).isEqualTo(100);
        client = KitexClient.builder().service("echo").addresses("127.0.0.1:" + server.port())
                .rpcTimeout(Duration.ofSeconds(5)).maxAttempts(1).build();
        final EchoService.Iface stub = client.stub(EchoService.Iface.class);
        // Sequential calls far faster than 100 per second: the bucket (at most 100) runs dry.
        final int ok = okOf(stub, 400);
        assertThat(ok).isBetween(10, 200);
        assertThat(server.rejections().get(RejectionKind.QPS_OVER_LIMIT)).isGreaterThan(0);
        assertThatThrownBy(() -> {
            for (int i = 0; i < 400; i++) {
                stub.echo("y");
            }
        }).isInstanceOf(ConnectionLostException.class);

        server.updateLimits(server.maxConnections(), 0);
        assertThat(okOf(stub, 300)).isEqualTo(300);
        assertThat(server.maxQps()).isZero();
        assertThatThrownBy(() -> server.updateLimits(0, 10)).hasMessage("maxConnections: 0 (expected: >= 1)");
        assertThatThrownBy(() -> server.updateLimits(10, -1)).hasMessage("maxQps: -1 (expected: >= 0)");
        assertThatThrownBy(() -> KitexServer.builder().maxQps(-1)).hasMessage("maxQps: -1 (expected: >= 0)");
    }
}
