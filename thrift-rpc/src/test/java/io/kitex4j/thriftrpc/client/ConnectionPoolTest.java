package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ClientClosedException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetection.class)
class ConnectionPoolTest {

    private ScriptedServer server;
    private KitexClient client;
    private volatile CountDownLatch gate = new CountDownLatch(0);

    @BeforeEach
    void setUp() throws Exception {
        server = new ScriptedServer((ctx, req) -> {
            final CountDownLatch g = gate;
            req.retain();
            // Hold the reply off the I/O thread until the test opens the gate.
            new Thread(() -> {
                try {
                    g.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                        .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue()));
                req.release();
            }).start();
        });
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private ConnectionPool pool() {
        return (ConnectionPool) client.connections();
    }

    @Test
    void sequentialCallsShareOneLongConnection() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 50; i++) {
            assertThat(stub.echoString("v" + i)).isEqualTo("v" + i);
        }
        assertThat(server.connections.get()).isEqualTo(1);
        assertThat(pool().idleConnections()).isEqualTo(1);
    }

    @Test
    void concurrentCallsUseOneConnectionEachAndKeepAtMostMaxIdlePerAddress() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address()).maxIdlePerAddress(2).build();
        gate = new CountDownLatch(1);
        final List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            final String v = "c" + i;
            calls.add(client.async(InteropService.Iface.class).call(s -> s.echoString(v)));
        }
        // One request in flight per connection: five calls, five connections.
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 5);
        assertThat(server.connections.get()).isEqualTo(5);
        gate.countDown();
        for (int i = 0; i < 5; i++) {
            assertThat(calls.get(i).get(5, TimeUnit.SECONDS)).isEqualTo("c" + i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> pool().openConnections() == 2);
        assertThat(pool().idleCount(server.address())).isEqualTo(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 2);
    }

    @Test
    void connectionPoolStatsCountOpenIdleAndAcquisitions() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address()).maxIdlePerAddress(2).build();
        final ConnectionPoolStats stats = client.connectionPoolStats();
        assertThat(stats.multiplexed()).isFalse();
        assertThat(stats.openConnections()).isZero();
        assertThat(stats.acquisitions()).isZero();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 3; i++) {
            stub.echoString("s" + i);
        }
        // One connection made, then reused twice: three acquisitions, the first one a connect.
        assertThat(stats.acquisitions()).isEqualTo(3);
        assertThat(stats.acquisitionTimeNanos()).isPositive();
        assertThat(stats.openConnections()).isEqualTo(1);
        assertThat(stats.idleConnections()).isEqualTo(1);

        gate = new CountDownLatch(1);
        final List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            final String v = "c" + i;
            calls.add(client.async(InteropService.Iface.class).call(s -> s.echoString(v)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 7);
        assertThat(stats.openConnections()).isEqualTo(4);
        assertThat(stats.idleConnections()).isZero();
        assertThat(stats.acquisitions()).isEqualTo(7);
        gate.countDown();
        for (CompletableFuture<String> c : calls) {
            c.get(5, TimeUnit.SECONDS);
        }
        // Two go back to the pool, two are closed (maxIdlePerAddress).
        await().atMost(Duration.ofSeconds(5)).until(() -> stats.openConnections() == 2);
        assertThat(stats.idleConnections()).isEqualTo(2);
        try (KitexClient variant = client.newBuilder().build()) {
            assertThat(variant.connectionPoolStats()).isSameAs(stats);
        }
    }

    @Test
    void maxIdleGlobalBoundsIdleConnectionsOfAllAddresses() throws Exception {
        try (ScriptedServer other = new ScriptedServer((ctx, req) -> ScriptedServer.reply(ctx, req,
                new InteropService.echoString_result().setSuccess("other")))) {
            client = KitexClient.builder().service("interop").addresses(server.address()).maxIdleGlobal(1).build();
            final KitexClient variant = client.newBuilder().addresses(other.address()).build();
            assertThat(variant.connections()).isSameAs(client.connections());
            client.stub(InteropService.Iface.class).echoString("a");
            variant.stub(InteropService.Iface.class).echoString("b");
            assertThat(pool().idleConnections()).isEqualTo(1);
            assertThat(pool().idleCount(server.address())).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> other.closedConnections.get() == 1);
        }
    }

    @Test
    void idleConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address())
                .maxIdleTimeout(Duration.ofMillis(300)).build();
        client.stub(InteropService.Iface.class).echoString("a");
        assertThat(pool().openConnections()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> pool().openConnections() == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
        assertThat(client.stub(InteropService.Iface.class).echoString("b")).isEqualTo("b");
    }

    @Test
    void zeroMaxIdleMeansShortConnections() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address()).maxIdlePerAddress(0).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        stub.echoString("a");
        stub.echoString("b");
        assertThat(server.connections.get()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 2);
    }

    @Test
    void connectionsClosedByTheServerLeaveThePool() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        client.stub(InteropService.Iface.class).echoString("a");
        assertThat(pool().idleConnections()).isEqualTo(1);
        server.channels.close().sync();
        await().atMost(Duration.ofSeconds(5)).until(() -> pool().idleConnections() == 0 && pool().openConnections() == 0);
        assertThat(client.stub(InteropService.Iface.class).echoString("b")).isEqualTo("b");
    }

    @Test
    void variantsShareThePoolAndTheRootOwnsIt() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        final KitexClient variant = client.newBuilder().rpcTimeout(Duration.ofSeconds(3)).build();
        final KitexClient separate = client.newBuilder().maxIdlePerAddress(3).build();
        assertThat(variant.connections()).isSameAs(client.connections());
        assertThat(variant.endpoints()).isSameAs(client.endpoints());
        assertThat(separate.connections()).isNotSameAs(client.connections());
        client.stub(InteropService.Iface.class).echoString("a");
        variant.stub(InteropService.Iface.class).echoString("b");
        assertThat(server.connections.get()).isEqualTo(1);

        variant.close();
        assertThatThrownBy(() -> variant.stub(InteropService.Iface.class).echoString("c"))
                .isInstanceOf(ClientClosedException.class).hasMessage("client is closed");
        assertThat(client.stub(InteropService.Iface.class).echoString("d")).isEqualTo("d");

        final KitexClient another = client.newBuilder().build();
        client.close();
        // Closing the first client leaves its variants working: they hold the shared pool too.
        assertThat(another.stub(InteropService.Iface.class).echoString("e")).isEqualTo("e");
        assertThat(server.openConnections()).isEqualTo(1);
        separate.close();
        another.close();
        assertThatThrownBy(() -> another.stub(InteropService.Iface.class).echoString("f"))
                .isInstanceOf(ClientClosedException.class);
        assertThatThrownBy(() -> client.newBuilder().build()).isInstanceOf(IllegalStateException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
        client = null;
    }
}
