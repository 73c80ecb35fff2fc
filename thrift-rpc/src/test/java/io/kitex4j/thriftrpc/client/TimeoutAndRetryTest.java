package io.kitex4j.thriftrpc.client;

import io.netty.channel.ConnectTimeoutException;
import java.util.List;
import java.util.ArrayList;
import java.net.SocketTimeoutException;
import java.net.Socket;
import java.net.InetAddress;
import io.kitex4j.core.ConnectionLostException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.RpcTimeoutException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.channel.Channel;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetection.class)
class TimeoutAndRetryTest {

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

    /** Answers echoString, never answers "sleep". */
    private static ScriptedServer.Script echoOrSilence() {
        return (ctx, req) -> {
            if (req.messageHeader().name().equals("echoString")) {
                ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                        .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue()));
            }
        };
    }

    private static String deadAddress() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void rpcTimeoutFiresClosesTheConnectionAndIsSentToTheServer() throws Exception {
        server = new ScriptedServer(echoOrSilence());
        client = KitexClient.builder().service("interop").addresses(server.address()).transport(Transport.TTHEADER)
                .rpcTimeout(Duration.ofMillis(200)).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        final long start = System.nanoTime();
        assertThatThrownBy(() -> stub.sleep(10_000)).isInstanceOfSatisfying(RpcTimeoutException.class, e -> {
            assertThat(e.mayHaveReachedServer()).isTrue();
            assertThat(e.timeout()).isEqualTo(Duration.ofMillis(200));
            assertThat(e.getMessage()).startsWith("rpc timeout: timeout=200ms, to=interop, method=sleep");
        });
        final long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(elapsed).isBetween(190L, 2_000L);
        assertThat(server.last().header().intValue(12)).isEqualTo("200");
        // A late reply would be taken for the next call's: the connection is closed.
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
        assertThat(stub.echoString("after")).isEqualTo("after");
    }

    @Test
    void perCallTimeoutOverridesTheClients() throws Exception {
        server = new ScriptedServer(echoOrSilence());
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        final CompletableFuture<Void> f = client.async(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(100)).build()).run(i -> i.sleep(10_000));
        assertThatThrownBy(f::join).hasCauseInstanceOf(RpcTimeoutException.class);
    }

    @Test
    void connectFailureIsRetriedOnAnotherInstance() throws Exception {
        server = new ScriptedServer(echoOrSilence());
        final String dead = deadAddress();
        client = KitexClient.builder().service("interop").addresses(dead, server.address())
                .connectTimeout(Duration.ofSeconds(1)).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 20; i++) {
            assertThat(stub.echoString("v" + i)).isEqualTo("v" + i);
        }
    }

    @Test
    void connectFailureWithoutRetriesFails() throws Exception {
        final String dead = deadAddress();
        client = KitexClient.builder().service("interop").addresses(dead).maxAttempts(1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOfSatisfying(ConnectFailedException.class,
                        e -> assertThat(e.mayHaveReachedServer()).isFalse())
                .hasMessageStartingWith("connect to " + dead + " failed");
    }

    @Test
    void connectTimeoutApplies() throws Exception {
        // A loopback listener that never accepts, its accept queue filled: the kernel drops further
        // SYNs, so the client's connect goes unanswered (no traffic leaves the machine).
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            final List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) {
                    final Socket f = new Socket();
                    fillers.add(f);
                    try {
                        f.connect(full.getLocalSocketAddress(), 200);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                }
                client = KitexClient.builder().service("interop")
                        .addresses("127.0.0.1:" + full.getLocalPort()).maxAttempts(1)
                        .connectTimeout(Duration.ofMillis(100)).build();
                final long start = System.nanoTime();
                assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                        .isInstanceOfSatisfying(ConnectFailedException.class,
                                e -> assertThat(e).hasRootCauseInstanceOf(ConnectTimeoutException.class));
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3_000);
            } finally {
                for (Socket f : fillers) {
                    f.close();
                }
            }
        }
    }

    @Test
    void staleReusedConnectionIsRetried() throws Exception {
        // The server closes a connection instead of answering its second request, as a server does
        // when it closes an idle connection just as the client reuses it.
        final Map<Channel, AtomicInteger> perConnection = new ConcurrentHashMap<>();
        server = new ScriptedServer((ctx, req) -> {
            if (perConnection.computeIfAbsent(ctx.channel(), c -> new AtomicInteger()).incrementAndGet() == 2) {
                ctx.close();
                return;
            }
            echoOrSilence().handle(ctx, req);
        });
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 5; i++) {
            assertThat(stub.echoString("v" + i)).isEqualTo("v" + i);
        }
        assertThat(server.connections.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aResetBeforeAnyReplyIsRetriedEvenOnAFreshConnection() throws Exception {
        // SO_LINGER 0 makes close() send a RST, as a server closing with our request unread does.
        final AtomicInteger seen = new AtomicInteger();
        server = new ScriptedServer((ctx, req) -> {
            if (seen.incrementAndGet() == 1) {
                ctx.channel().config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
                ctx.close();
                return;
            }
            echoOrSilence().handle(ctx, req);
        });
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        assertThat(client.stub(InteropService.Iface.class).echoString("x")).isEqualTo("x");
        assertThat(server.requests).hasSize(2);
        assertThat(server.connections.get()).isEqualTo(2);
    }

    @Test
    void aFreshConnectionClosedBeforeTheReplyIsNotRetried() throws Exception {
        server = new ScriptedServer((ctx, req) -> ctx.close());
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOfSatisfying(ConnectionLostException.class,
                        e -> assertThat(e.mayHaveReachedServer()).isTrue());
        // The server may have processed it: one attempt only.
        assertThat(server.requests).hasSize(1);
    }

    @Test
    void cancellingTheFutureAbandonsTheCall() throws Exception {
        server = new ScriptedServer(echoOrSilence());
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        final CompletableFuture<Void> f = client.async(InteropService.Iface.class).run(i -> i.sleep(10_000));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 1);
        f.cancel(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
    }

    @Test
    void interruptingABlockingCallAbandonsIt() throws Exception {
        server = new ScriptedServer(echoOrSilence());
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread t = new Thread(() -> {
            try {
                stub.sleep(10_000);
            } catch (Throwable e) {
                thrown.set(e);
            }
            done.countDown();
        });
        t.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 1);
        t.interrupt();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(thrown.get()).isInstanceOf(TTransportException.class).hasMessageContaining("interrupted");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
    }

    @Test
    void blockingCallOnAnIoThreadIsRefused() throws Exception {
        server = new ScriptedServer(echoOrSilence());
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        final CompletableFuture<String> nested = client.async(InteropService.Iface.class)
                .call(i -> i.echoString("outer"))
                .thenApply(v -> {
                    try {
                        return stub.echoString("inner");
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
        assertThatThrownBy(nested::join).hasRootCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("would deadlock");
    }
}
