package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.RpcTimeoutException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetection.class)
class MultiplexingTest {

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

    private static void echo(ChannelHandlerContext ctx, KitexFrame req) {
        ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue()));
    }

    /** Kitex's mux server control frame: TTHeader seqId 0, REPLY "none" seqId 0, empty struct, crrst=1. */
    private static void controlFrame(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(new KitexFrame(Transport.TTHEADER_FRAMED,
                TTHeader.builder().seqId(0).flags(TTHeader.FLAG_SUPPORT_OUT_OF_ORDER).string("crrst", "1").build(),
                ThriftCodec.encodeMessage(ctx.alloc(), "none", ThriftMessageHeader.REPLY, 0,
                        new InteropService.ping_result())));
    }

    @Test
    void repliesOutOfOrderAreMatchedBySequenceId() throws Exception {
        final List<KitexFrame> held = new ArrayList<>();
        server = new ScriptedServer((ctx, req) -> {
            synchronized (held) {
                held.add(req.retain());
                if (held.size() == 2) {
                    // Answer the second request first.
                    echo(ctx, held.get(1));
                    echo(ctx, held.get(0));
                    held.forEach(KitexFrame::release);
                    held.clear();
                }
            }
        });
        client = KitexClient.builder().service("interop").addresses(server.address()).multiplexed(1).build();
        assertThat(client.transport()).isEqualTo(Transport.TTHEADER_FRAMED);
        final AsyncStub<InteropService.Iface> stub = client.async(InteropService.Iface.class);
        final CompletableFuture<String> a = stub.call(i -> i.echoString("a"));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 1);
        final CompletableFuture<String> b = stub.call(i -> i.echoString("b"));
        assertThat(a.get(5, TimeUnit.SECONDS)).isEqualTo("a");
        assertThat(b.get(5, TimeUnit.SECONDS)).isEqualTo("b");
        assertThat(server.connections.get()).isEqualTo(1);
        for (ScriptedServer.Request r : server.requests) {
            assertThat(r.header().flags()).isEqualTo(TTHeader.FLAG_SUPPORT_OUT_OF_ORDER);
            assertThat(r.header().seqId()).isEqualTo(r.message().seqId()).isNotZero();
        }
    }

    @Test
    void manyConcurrentCallsShareTheConfiguredConnections() throws Exception {
        server = new ScriptedServer(MultiplexingTest::echo);
        client = KitexClient.builder().service("interop").addresses(server.address()).multiplexed(2)
                .transport(Transport.TTHEADER).build();
        final List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            final String v = "v" + i;
            calls.add(client.async(InteropService.Iface.class).call(s -> s.echoString(v)));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(calls.get(i).get(5, TimeUnit.SECONDS)).isEqualTo("v" + i);
        }
        assertThat(server.connections.get()).isEqualTo(2);
        assertThat(server.last().transport()).isEqualTo(Transport.TTHEADER);
    }

    @Test
    void controlFrameWithCrrstDrainsTheConnection() throws Exception {
        server = new ScriptedServer((ctx, req) -> {
            if (server.connections.get() == 1) {
                controlFrame(ctx);
            }
            echo(ctx, req);
        });
        client = KitexClient.builder().service("interop").addresses(server.address()).multiplexed(1).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        assertThat(stub.echoString("a")).isEqualTo("a");
        // Drained: closed once its call was answered, and the next call opens another connection.
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
        assertThat(stub.echoString("b")).isEqualTo("b");
        assertThat(server.connections.get()).isEqualTo(2);
    }

    @Test
    void aTimedOutCallLeavesTheSharedConnectionOpen() throws Exception {
        final List<KitexFrame> late = new ArrayList<>();
        server = new ScriptedServer((ctx, req) -> {
            if (req.messageHeader().name().equals("sleep")) {
                synchronized (late) {
                    late.add(req.retain());
                }
                return;
            }
            echo(ctx, req);
        });
        client = KitexClient.builder().service("interop").addresses(server.address()).multiplexed(1).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(100)).build());
        assertThatThrownBy(() -> stub.sleep(1000)).isInstanceOf(RpcTimeoutException.class);
        assertThat(stub.echoString("x")).isEqualTo("x");
        // The late reply is dropped.
        final KitexFrame sleep;
        synchronized (late) {
            sleep = late.get(0);
        }
        ScriptedServer.reply(server.requests.get(0).channel().pipeline().lastContext(), sleep,
                new InteropService.sleep_result());
        sleep.release();
        assertThat(stub.echoString("y")).isEqualTo("y");
        assertThat(server.connections.get()).isEqualTo(1);
        assertThat(server.closedConnections.get()).isZero();
    }

    @Test
    void multiplexingNeedsATTHeaderTransport() {
        assertThatThrownBy(() -> KitexClient.builder().service("s").addresses("127.0.0.1:1").multiplexed(2)
                .transport(Transport.FRAMED).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("transport: multiplexing needs TTHEADER or TTHEADER_FRAMED, not FRAMED");
    }
}
