package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetection.class)
class AsyncStubTest {

    private ScriptedServer server;
    private KitexClient client;

    @BeforeEach
    void setUp() throws Exception {
        server = new ScriptedServer((ctx, req) -> {
            switch (req.messageHeader().name()) {
                case "echoI64" -> ScriptedServer.reply(ctx, req, new InteropService.echoI64_result().setSuccess(
                        ScriptedServer.args(req, new InteropService.echoI64_args()).getValue()));
                case "echoColor" -> ScriptedServer.reply(ctx, req, new InteropService.echoColor_result().setSuccess(
                        ScriptedServer.args(req, new InteropService.echoColor_args()).getValue()));
                case "echoBinary" -> ScriptedServer.reply(ctx, req, new InteropService.echoBinary_result().setSuccess(
                        ScriptedServer.args(req, new InteropService.echoBinary_args()).bufferForData()));
                case "echoString" -> ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                        .setSuccess("s"));
                case "ping" -> ScriptedServer.reply(ctx, req, new InteropService.ping_result());
                default -> { }
            }
        });
        client = KitexClient.builder().service("interop").addresses(server.address()).build();
    }

    @AfterEach
    void tearDown() {
        client.close();
        server.close();
    }

    @Test
    void typedResults() throws Exception {
        final AsyncStub<InteropService.Iface> stub = client.async(InteropService.Iface.class);
        final CompletableFuture<Long> n = stub.call(i -> i.echoI64(Long.MIN_VALUE));
        final CompletableFuture<Color> c = stub.call(i -> i.echoColor(Color.INFRARED));
        final CompletableFuture<ByteBuffer> b = stub.call(i -> i.echoBinary(ByteBuffer.wrap(new byte[] {1, 2, 3})));
        final CompletableFuture<Void> p = stub.run(InteropService.Iface::ping);
        assertThat(n.join()).isEqualTo(Long.MIN_VALUE);
        assertThat(c.join()).isEqualTo(Color.INFRARED);
        assertThat(b.join()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(p.join()).isNull();
        // A method with a result through run(): the result is dropped.
        assertThat(stub.run(i -> i.echoString("x")).join()).isNull();
        assertThat(stub.withOptions(CallOptions.DEFAULT).call(i -> i.echoI64(1)).join()).isEqualTo(1L);
    }

    @Test
    void theLambdaMustCallExactlyOneMethod() {
        final AsyncStub<InteropService.Iface> stub = client.async(InteropService.Iface.class);
        assertThatThrownBy(() -> stub.call(i -> "nothing")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("call: the lambda must call exactly one method of "
                        + "io.kitex4j.idl.interop.InteropService$Iface, it called 0");
        assertThatThrownBy(() -> stub.run(i -> {
            i.ping();
            i.ping();
        })).isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("it called 2");
        assertThat(server.requests).isEmpty();
    }

    @Test
    void theRecorderIsUselessOutsideTheLambda() {
        final InteropService.Iface[] leaked = new InteropService.Iface[1];
        client.async(InteropService.Iface.class).run(i -> {
            leaked[0] = i;
            i.ping();
        }).join();
        assertThatThrownBy(() -> leaked[0].ping()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void blockingStubsAreOrdinaryObjects() throws Exception {
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        assertThat(stub).isEqualTo(stub).isNotEqualTo(client.stub(InteropService.Iface.class));
        assertThat(stub.hashCode()).isEqualTo(System.identityHashCode(stub));
        assertThat(stub.toString()).startsWith("InteropService stub of KitexClient{service=interop");
        assertThat(stub.echoI64(7)).isEqualTo(7);
    }
}
