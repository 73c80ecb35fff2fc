package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.RemoteApplicationException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TProtocolException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client's reply decode has the server's nesting limit (issue 9): the result struct is level 1 and
 * each struct nested in it one more; a deeper reply fails the call instead of overflowing the stack.
 */
@ExtendWith(NettyLeakDetection.class)
class ReplyNestingDepthTest {

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

    private InteropService.Iface start(Transport transport, int replyDepth, Integer clientLimit) throws Exception {
        server = new ScriptedServer((ctx, req) -> {
            final ThriftMessageHeader m = req.messageHeader();
            final ByteBuf payload = ctx.alloc().buffer();
            payload.writeInt(0x80010000 | ThriftMessageHeader.REPLY);
            final byte[] name = m.name().getBytes(StandardCharsets.UTF_8);
            payload.writeInt(name.length).writeBytes(name).writeInt(m.seqId());
            // success (field 0) = "ok", then unknown field 100 nested to replyDepth levels in all
            payload.writeBytes(new byte[] {0x0b, 0, 0, 0, 0, 0, 2, 'o', 'k'});
            for (int i = 1; i < replyDepth; i++) {
                payload.writeBytes(new byte[] {0x0c, 0, 100});
            }
            payload.writeZero(replyDepth);
            final TTHeader h = req.header() == null ? null : TTHeader.builder().seqId(req.header().seqId()).build();
            ctx.writeAndFlush(new KitexFrame(req.transport(), h, payload));
        });
        final KitexClientBuilder b = KitexClient.builder().service("interop").addresses(server.address())
                .transport(transport).connectTimeout(Duration.ofSeconds(1)).rpcTimeout(Duration.ofSeconds(10));
        if (clientLimit != null) {
            b.maxNestingDepth(clientLimit);
        }
        client = b.build();
        return client.stub(InteropService.Iface.class);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aReplyAtTheLimitIsRead(Transport transport) throws Exception {
        assertThat(start(transport, 64, null).echoString("x")).isEqualTo("ok");
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"FRAMED", "TTHEADER", "TTHEADER_FRAMED"})
    void aDeeperReplyFailsTheCall(Transport transport) throws Exception {
        final InteropService.Iface stub = start(transport, 100_000, null);
        assertThatThrownBy(() -> stub.echoString("x")).isInstanceOfSatisfying(RemoteApplicationException.class,
                e -> assertThat(e.getCause()).isInstanceOfSatisfying(TProtocolException.class,
                        c -> assertThat(c.getType()).isEqualTo(TProtocolException.DEPTH_LIMIT)));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theLimitIsConfigurable(Transport transport) throws Exception {
        assertThat(start(transport, 100, 100).echoString("x")).isEqualTo("ok");
        client.close();
        server.close();
        final InteropService.Iface stub = start(transport, 65, 64);
        assertThatThrownBy(() -> stub.echoString("x")).isInstanceOf(RemoteApplicationException.class)
                                                    .hasMessageContaining("nesting depth exceeds 64");
    }
}
