package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the client puts on the wire, byte for byte where the bytes are fixed. */
@ExtendWith(NettyLeakDetection.class)
class WireFormatTest {

    private ScriptedServer server;
    private KitexClient client;

    @BeforeEach
    void setUp() throws Exception {
        server = new ScriptedServer((ctx, req) -> {
            switch (req.messageHeader().name()) {
                case "echoString" -> ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                        .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue()));
                case "ping" -> ScriptedServer.reply(ctx, req, new InteropService.ping_result());
                default -> { }
            }
        });
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private InteropService.Iface stub(Transport transport) {
        final KitexClientBuilder b = KitexClient.builder().service("interop").addresses(server.address())
                .connectTimeout(Duration.ofSeconds(1));
        if (transport != null) {
            b.transport(transport);
        }
        client = b.build();
        return client.stub(InteropService.Iface.class);
    }

    /** {@code echoString("hi")}: the Thrift message without any frame. */
    private static byte[] message(byte type, int seqId) {
        final ByteBuffer b = ByteBuffer.allocate(32);
        b.putInt(0x80010000 | type).putInt(10).put("echoString".getBytes(StandardCharsets.US_ASCII)).putInt(seqId);
        b.put((byte) 0x0b).putShort((short) 1).putInt(2).put((byte) 'h').put((byte) 'i').put((byte) 0);
        return b.array();
    }

    @Test
    void framedByDefault() throws Exception {
        assertThat(stub(null).echoString("hi")).isEqualTo("hi");
        assertThat(client.transport()).isEqualTo(Transport.FRAMED);
        final int seqId = server.last().message().seqId();
        assertThat(seqId).isNotZero();
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(new byte[] {0, 0, 0, 0x20});
        expected.write(message(ThriftMessageHeader.CALL, seqId));
        assertThat(server.rawBytes()).isEqualTo(expected.toByteArray());
        assertThat(server.last().transport()).isEqualTo(Transport.FRAMED);
    }

    @Test
    void bufferedIsTheBareMessage() throws Exception {
        assertThat(stub(Transport.BUFFERED).echoString("hi")).isEqualTo("hi");
        assertThat(server.rawBytes()).isEqualTo(message(ThriftMessageHeader.CALL, server.last().message().seqId()));
    }

    @Test
    void ttheaderFramedCarriesKitexMetaAndTheSameSeqId() throws Exception {
        final InteropService.Iface stub = stub(Transport.TTHEADER_FRAMED);
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2").attach()) {
            assertThat(stub.echoString("hi")).isEqualTo("hi");
        }
        final ScriptedServer.Request r = server.last();
        assertThat(r.transport()).isEqualTo(Transport.TTHEADER_FRAMED);
        assertThat(r.header().flags()).isZero();
        assertThat(r.header().seqId()).isEqualTo(r.message().seqId());
        // 17: the stub's explicitly set connect timeout.
        assertThat(r.header().ints()).isEqualTo(Map.of(1, "framed", 3, "", 6, "interop", 9, "echoString",
                17, "1000", 20, "", 22, "1"));
        assertThat(r.header().strings()).isEqualTo(Map.of("isn", "InteropService", "RPC_TRANSIT_t", "1",
                "RPC_PERSIST_p", "2"));

        // LENGTH, magic+flags, seqId, header size; then after the header a u32 frame length and the message.
        final ByteBuffer raw = ByteBuffer.wrap(server.rawBytes());
        assertThat(raw.getInt()).isEqualTo(raw.capacity() - 4);
        assertThat(raw.getInt()).isEqualTo(0x10000000);
        assertThat(raw.getInt()).isEqualTo(r.message().seqId());
        final int headerBytes = raw.getShort() * 4;
        raw.position(raw.position() + headerBytes);
        assertThat(raw.getInt()).isEqualTo(32);
        final byte[] rest = Arrays.copyOfRange(raw.array(), raw.position(), raw.capacity());
        assertThat(rest).isEqualTo(message(ThriftMessageHeader.CALL, r.message().seqId()));
    }

    @Test
    void unframedTTHeaderSaysUnframed() throws Exception {
        assertThat(stub(Transport.TTHEADER).echoString("hi")).isEqualTo("hi");
        final ScriptedServer.Request r = server.last();
        assertThat(r.transport()).isEqualTo(Transport.TTHEADER);
        assertThat(r.header().intValue(1)).isEqualTo("unframed");
        final ByteBuffer raw = ByteBuffer.wrap(server.rawBytes());
        raw.position(12);
        raw.position(14 + raw.getShort() * 4);
        assertThat(Arrays.copyOfRange(raw.array(), raw.position(), raw.capacity()))
                .isEqualTo(message(ThriftMessageHeader.CALL, r.message().seqId()));
    }

    @Test
    void timeoutsAreSentOnlyWhenSet() throws Exception {
        client = KitexClient.builder().service("interop").addresses(server.address())
                .transport(Transport.TTHEADER).fromService("caller").rpcTimeout(Duration.ofMillis(1500)).build();
        client.stub(InteropService.Iface.class).ping();
        assertThat(server.last().header().ints()).containsEntry(12, "1500").containsEntry(3, "caller")
                .doesNotContainKey(17);
        final CallOptions options = CallOptions.builder().rpcTimeout(Duration.ofMillis(250))
                .connectTimeout(Duration.ofMillis(700)).build();
        client.stub(InteropService.Iface.class, options).ping();
        assertThat(server.last().header().ints()).containsEntry(12, "250").containsEntry(17, "700");
        client.stub(InteropService.Iface.class, CallOptions.builder().rpcTimeout(Duration.ZERO).build()).ping();
        assertThat(server.last().header().ints()).doesNotContainKey(12).doesNotContainKey(17);
        final KitexClient variant = client.newBuilder().connectTimeout(Duration.ofMillis(900)).build();
        variant.stub(InteropService.Iface.class).ping();
        assertThat(server.last().header().ints()).containsEntry(17, "900").containsEntry(12, "1500");
    }

    @Test
    void perCallMetainfoReplacesTheThreadsOne() throws Exception {
        stub(Transport.TTHEADER_FRAMED);
        final CallOptions options = CallOptions.builder().metainfo(Metainfo.empty().withPersistent("x", "y")).build();
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").attach()) {
            client.async(InteropService.Iface.class, options).run(InteropService.Iface::ping).join();
        }
        assertThat(server.last().header().strings()).containsEntry("RPC_PERSIST_x", "y")
                .doesNotContainKey("RPC_TRANSIT_t");
    }

    @Test
    void onewaySendsType4AndClosesTheConnection() throws Exception {
        final InteropService.Iface stub = stub(Transport.TTHEADER_FRAMED);
        stub.onewayPut("k", "v");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 1);
        final ScriptedServer.Request r = server.last();
        assertThat(r.message().type()).isEqualTo(ThriftMessageHeader.ONEWAY);
        assertThat(r.message().name()).isEqualTo("onewayPut");
        assertThat(r.header().intValue(22)).isEqualTo("4");
        // Kitex discards the connection after a oneway call.
        await().atMost(Duration.ofSeconds(5)).until(() -> server.closedConnections.get() == 1);
        stub.onewayPut("k2", "v2");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.connections.get() == 2);
    }
}
