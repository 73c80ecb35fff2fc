package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/** The server with a real etcd registry: the shutdown sequence as Kitex clients need it. */
@ExtendWith(NettyLeakDetection.class)
class KitexServerEtcdTest {

    private static final byte CALL = 1;

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    @Test
    void registersAfterBindDeregistersFirstServesWithCrrstThenDrains() throws Exception {
        final InteropHandler interop = new InteropHandler("kitex4j-test");
        final List<String> seenAtStart = new CopyOnWriteArrayList<>();
        try (EtcdRegistry registry = EtcdRegistry.builder()
                                                 .etcd(EtcdClientConfig.of(ETCD.endpoints().get(0)))
                                                 .env(name -> null)
                                                 .build();
             Client etcd = ETCD.newClient()) {
            final KitexServer server = KitexServer.builder()
                    .service(EchoService.class, new EchoHandler())
                    .service(InteropService.class, interop)
                    .registry(registry, "kitex4j-server-test")
                    .tag("cluster", "c1")
                    .exitWait(Duration.ofMillis(1500))
                    .shutdownHook(false)
                    .listener(new ServerListener() {
                        @Override
                        public void serverStarted(KitexServer s) {
                            // Registered (visible in etcd) by the time the server says it started.
                            seenAtStart.add(value(etcd, s.registration().key()));
                        }
                    })
                    .build();
            server.start().join();
            final String key = server.registration().key();
            assertThat(key).startsWith("kitex/registry-etcd/kitex4j-server-test/").endsWith(":" + server.port());
            assertThat(seenAtStart).singleElement().asString()
                                   .contains("\"weight\":10").contains("\"cluster\":\"c1\"");
            final InetSocketAddress address = server.localAddress();

            try (Wire.Client busy = new Wire.Client(address); Wire.Client existing = new Wire.Client(address)) {
                busy.write(frame(Transport.TTHEADER_FRAMED, 1, Map.of(), Map.of(),
                                 message("sleep", CALL, 1, new InteropService.sleep_args().setMillis(2500))));
                assertThat(interop.sleepStarted.await(5, TimeUnit.SECONDS)).isTrue();

                final CompletableFuture<Void> stopped = server.stop();
                // 1. Deregistered first...
                await().atMost(Duration.ofSeconds(1)).until(() -> value(etcd, key) == null);
                // 2. ...while still serving, on existing and new connections, with crrst=1 over TTHeader.
                existing.write(frame(Transport.TTHEADER, 2, Map.of(), Map.of(),
                                     message("echo", CALL, 2, new EchoService.echo_args().setMsg("during"))));
                final Wire.Response during = existing.read(Transport.TTHEADER);
                assertThat(during.result(new EchoService.echo_result()).getSuccess()).isEqualTo("during");
                assertThat(during.strings()).containsEntry("crrst", "1");
                try (Wire.Client fresh = new Wire.Client(address)) {
                    fresh.write(frame(Transport.FRAMED, message("echo", CALL, 3, new EchoService.echo_args().setMsg("new"))));
                    assertThat(fresh.read(Transport.FRAMED).result(new EchoService.echo_result()).getSuccess())
                            .isEqualTo("new");
                }
                assertThat(stopped).isNotDone();
                // 3. After the exit wait the listener is closed...
                await().atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                        assertThatThrownBy(() -> new Wire.Client(address).close())
                                .isInstanceOf(ConnectException.class));
                // 4. ...and the call in flight is still answered, then its connection closed.
                final Wire.Response last = busy.read(Transport.TTHEADER_FRAMED);
                assertThat(last.messageBegin().name).isEqualTo("sleep");
                assertThat(last.messageBegin().type).isEqualTo((byte) 2);
                assertThat(last.strings()).containsEntry("crrst", "1");
                busy.assertClosedByPeer(Duration.ofSeconds(3));
                assertThat(stopped).succeedsWithin(Duration.ofSeconds(5));
            }
            assertThat(server.state()).isEqualTo(ServerState.STOPPED);
            assertThat(value(etcd, key)).isNull();
        }
    }

    private static String value(Client etcd, String key) {
        try {
            final GetResponse r = etcd.getKVClient().get(ByteSequence.from(key, UTF_8)).get(5, TimeUnit.SECONDS);
            return r.getKvs().isEmpty() ? null : r.getKvs().get(0).getValue().toString(UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
