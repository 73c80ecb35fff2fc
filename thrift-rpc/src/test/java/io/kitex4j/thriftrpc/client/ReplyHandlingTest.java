package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.RemoteApplicationException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** How replies, good and bad, become results, exceptions and connection decisions. */
@ExtendWith(NettyLeakDetection.class)
class ReplyHandlingTest {

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

    private InteropService.Iface start(Transport transport, ScriptedServer.Script script) throws Exception {
        server = new ScriptedServer((ctx, req) -> {
            if (req.messageHeader().name().equals("ping")) {
                ScriptedServer.reply(ctx, req, new InteropService.ping_result());
            } else {
                script.handle(ctx, req);
            }
        });
        client = KitexClient.builder().service("interop").addresses(server.address()).transport(transport)
                .connectTimeout(Duration.ofSeconds(1)).rpcTimeout(Duration.ofSeconds(5)).build();
        return client.stub(InteropService.Iface.class);
    }

    private static void echo(ChannelHandlerContext ctx, KitexFrame req, TTHeader.Builder header) {
        ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue()), header);
    }

    @Test
    void exceptionReplyThrowsRemoteApplicationExceptionAndDiscardsTheConnection() throws Exception {
        final InteropService.Iface stub = start(Transport.FRAMED,
                (ctx, req) -> ScriptedServer.exception(ctx, req, 6, "biz error: boom"));
        assertThatThrownBy(() -> stub.fail("boom")).isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
            assertThat(e.typeId()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("biz error: boom");
            assertThat(e.mayHaveReachedServer()).isTrue();
            assertThat(e.getCause()).isInstanceOf(TApplicationException.class);
        });
        stub.ping();
        // Kitex discards the connection after an EXCEPTION reply (the error reaches ReleaseConn).
        assertThat(server.connections.get()).isEqualTo(2);
    }

    @Test
    void declaredExceptionIsThrownAsItselfAndTheConnectionIsKept() throws Exception {
        final InteropService.Iface stub = start(Transport.FRAMED, (ctx, req) -> ScriptedServer.reply(ctx, req,
                new InteropService.throwDeclared_result().setInvalidArgument(new InvalidArgument(7, "no"))));
        assertThatThrownBy(() -> stub.throwDeclared(1, 7, "no")).isInstanceOfSatisfying(InvalidArgument.class, e -> {
            assertThat(e.getCode()).isEqualTo(7);
            assertThat(e.getMessage()).isEqualTo("no");
        });
        stub.ping();
        assertThat(server.connections.get()).isEqualTo(1);
    }

    @Test
    void businessStatusErrorFromTheTTHeader() throws Exception {
        final InteropService.Iface stub = start(Transport.TTHEADER_FRAMED, (ctx, req) -> ScriptedServer.reply(ctx, req,
                new InteropService.bizError_result(), TTHeader.builder().string("biz-status", "1001")
                        .string("biz-message", "not allowed").string("biz-extra", "{\"k\":\"v\"}")));
        assertThatThrownBy(() -> stub.bizError(1001, "not allowed", Map.of("k", "v")))
                .isInstanceOfSatisfying(BizStatusException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(1001);
                    assertThat(e.statusMessage()).isEqualTo("not allowed");
                    assertThat(e.extra()).isEqualTo(Map.of("k", "v"));
                });
        stub.ping();
        assertThat(server.connections.get()).isEqualTo(1);
    }

    @Test
    void malformedBusinessExtraFailsTheCall() throws Exception {
        final InteropService.Iface stub = start(Transport.TTHEADER, (ctx, req) -> ScriptedServer.reply(ctx, req,
                new InteropService.bizError_result(), TTHeader.builder().string("biz-status", "5")
                        .string("biz-extra", "{not json")));
        assertThatThrownBy(() -> stub.bizError(5, "", Map.of())).hasMessageContaining("malformed header info, extra");
    }

    @Test
    void zeroBusinessStatusIsNoError() throws Exception {
        final InteropService.Iface stub = start(Transport.TTHEADER, (ctx, req) -> ScriptedServer.reply(ctx, req,
                new InteropService.bizError_result().setSuccess("ok"), TTHeader.builder().string("biz-status", "0")));
        assertThat(stub.bizError(0, "", Map.of())).isEqualTo("ok");
    }

    @Test
    void wrongMethodNameIsAnErrorAndDiscardsTheConnection() throws Exception {
        final InteropService.Iface stub = start(Transport.FRAMED, (ctx, req) -> ScriptedServer.replyRaw(ctx, req,
                "other", ThriftMessageHeader.REPLY, req.messageHeader().seqId(),
                new InteropService.echoString_result().setSuccess("x"), TTHeader.builder()));
        assertThatThrownBy(() -> stub.echoString("x")).isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
            assertThat(e.typeId()).isEqualTo(TApplicationException.WRONG_METHOD_NAME);
            assertThat(e.getMessage()).isEqualTo("wrong method name: expected echoString, got other");
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
    }

    @Test
    void wrongPayloadSeqIdIsAnErrorAndDiscardsTheConnection() throws Exception {
        final InteropService.Iface stub = start(Transport.TTHEADER_FRAMED, (ctx, req) -> ScriptedServer.replyRaw(ctx,
                req, "echoString", ThriftMessageHeader.REPLY, req.messageHeader().seqId() + 1,
                new InteropService.echoString_result().setSuccess("x"), TTHeader.builder()));
        assertThatThrownBy(() -> stub.echoString("x")).isInstanceOfSatisfying(RemoteApplicationException.class,
                e -> assertThat(e.typeId()).isEqualTo(TApplicationException.BAD_SEQUENCE_ID));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
    }

    @Test
    void ttheaderSeqIdMismatchIsOnlyAWarning() throws Exception {
        final InteropService.Iface stub = start(Transport.TTHEADER_FRAMED, (ctx, req) -> {
            final ThriftMessageHeader m = req.messageHeader();
            ctx.writeAndFlush(new KitexFrame(Transport.TTHEADER_FRAMED, TTHeader.builder().seqId(m.seqId() + 99).build(),
                    ThriftCodec.encodeMessage(ctx.alloc(), m.name(), ThriftMessageHeader.REPLY, m.seqId(),
                            new InteropService.echoString_result().setSuccess("fine"))));
        });
        assertThat(stub.echoString("x")).isEqualTo("fine");
    }

    @Test
    void invalidMessageTypeIsAnError() throws Exception {
        final InteropService.Iface stub = start(Transport.FRAMED, (ctx, req) -> ScriptedServer.replyRaw(ctx, req,
                "echoString", ThriftMessageHeader.CALL, req.messageHeader().seqId(),
                new InteropService.echoString_result().setSuccess("x"), TTHeader.builder()));
        assertThatThrownBy(() -> stub.echoString("x")).isInstanceOfSatisfying(RemoteApplicationException.class,
                e -> assertThat(e.typeId()).isEqualTo(TApplicationException.INVALID_MESSAGE_TYPE));
    }

    @Test
    void crrstMeansTheConnectionIsNotReused() throws Exception {
        final InteropService.Iface stub = start(Transport.TTHEADER, (ctx, req) ->
                echo(ctx, req, TTHeader.builder().string("crrst", "1")));
        assertThat(stub.echoString("a")).isEqualTo("a");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
        stub.ping();
        assertThat(server.connections.get()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void repliesAreAcceptedInAnyTransport(Transport replyTransport) throws Exception {
        final InteropService.Iface stub = start(Transport.FRAMED, (ctx, req) -> {
            final ThriftMessageHeader m = req.messageHeader();
            ctx.writeAndFlush(new KitexFrame(replyTransport, replyTransport.hasTTHeader() ? TTHeader.empty() : null,
                    ThriftCodec.encodeMessage(ctx.alloc(), m.name(), ThriftMessageHeader.REPLY, m.seqId(),
                            new InteropService.echoString_result().setSuccess("r-" + replyTransport))));
        });
        assertThat(stub.echoString("x")).isEqualTo("r-" + replyTransport);
        assertThat(stub.echoString("y")).isEqualTo("r-" + replyTransport);
        assertThat(server.connections.get()).isEqualTo(1);
    }

    @Test
    void oversizedReplyIsRefusedAndTheConnectionClosed() throws Exception {
        server = new ScriptedServer((ctx, req) -> echo(ctx, req, TTHeader.builder()));
        client = KitexClient.builder().service("interop").addresses(server.address()).maxFrameBytes(1024)
                .connectTimeout(Duration.ofSeconds(1)).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        assertThat(stub.echoString("small")).isEqualTo("small");
        assertThatThrownBy(() -> stub.echoString("x".repeat(4000)))
                .isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
                    assertThat(e.typeId()).isEqualTo(TApplicationException.PROTOCOL_ERROR);
                    assertThat(e.getCause()).isInstanceOfSatisfying(TTransportException.class,
                            c -> assertThat(c.getType()).isEqualTo(TTransportException.CORRUPTED_DATA));
                })
                .hasMessageContaining("bad reply from " + server.address());
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
        assertThat(stub.echoString("again")).isEqualTo("again");
    }

    @Test
    void backwardValuesReachTheCaller() throws Exception {
        final InteropService.Iface stub = start(Transport.TTHEADER_FRAMED, (ctx, req) ->
                echo(ctx, req, TTHeader.builder().string("bk", "bv-" + req.messageHeader().seqId())));
        try (BackwardValues backward = BackwardValues.capture()) {
            stub.echoString("a");
            assertThat(backward.get("bk")).startsWith("bv-");
            assertThat(backward.asMap()).containsOnlyKeys("bk");
        }
        // Not captured any more.
        assertThat(BackwardValues.current()).isNull();

        final BackwardValues explicit = BackwardValues.create();
        final String value = client.async(InteropService.Iface.class,
                        CallOptions.builder().backwardValues(explicit).build())
                .call(i -> i.echoString("b"))
                .thenApply(v -> v + "/" + explicit.get("bk")).join();
        assertThat(value).startsWith("b/bv-");
    }

    @Test
    void anUnaskedFrameClosesTheIdleConnection() throws Exception {
        final InteropService.Iface stub = start(Transport.FRAMED, (ctx, req) -> {
            echo(ctx, req, TTHeader.builder());
            echo(ctx, req, TTHeader.builder());
        });
        assertThat(stub.echoString("a")).isEqualTo("a");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
        assertThat(stub.echoString("b")).isEqualTo("b");
    }

    @Test
    void asyncFailuresCarryTheSameExceptions() throws Exception {
        start(Transport.FRAMED, (ctx, req) -> ScriptedServer.exception(ctx, req, 1, "unknown method fail"));
        assertThatThrownBy(() -> client.async(InteropService.Iface.class).run(i -> i.fail("x")).join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(RemoteApplicationException.class,
                        e -> assertThat(e.typeId()).isEqualTo(TApplicationException.UNKNOWN_METHOD));
    }
}
