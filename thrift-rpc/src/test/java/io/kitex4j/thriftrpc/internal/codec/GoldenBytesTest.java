package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.buf;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.bytes;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The worked example of {@code shared/reference/kitex-wire.md} §2.3, byte for byte, in both directions:
 * {@code echo("hi")}, seqId 1, from a Kitex client with {@code WithTransportProtocol(TTHeader)} (i.e.
 * TTHeaderFramed), and the default Kitex server's reply; the plain Framed form; the header block with
 * one string and one integer key-value.
 */
@ExtendWith(NettyLeakDetection.class)
class GoldenBytesTest {

    /** §2.3: the call, TTHeaderFramed, empty header. */
    static final byte[] CALL = hex("""
            00 00 00 2c
            10 00 00 00
            00 00 00 01
            00 01
            00 00 00 00
            00 00 00 1a
            80 01 00 01
            00 00 00 04 65 63 68 6f
            00 00 00 01
            0b 00 01 00 00 00 02 68 69
            00
            """);

    /** §2.3: the default Kitex server's reply, same framing, result field 0 = "hi". */
    static final byte[] REPLY = hex("""
            00 00 00 2c 10 00 00 00 00 00 00 01 00 01 00 00 00 00
            00 00 00 1a
            80 01 00 02 00 00 00 04 65 63 68 6f 00 00 00 01 0b 00 00 00 00 00 02 68 69 00
            """);

    /** §2.3: the header block {@code {"isn":"EchoService"}} + {@code {9:"echo"}}: 36 bytes, HEADER SIZE 9. */
    static final byte[] ISN_ECHO_HEADER_INFO = hex(
            "00 00 | 01 00 01 00 03 'isn' 00 0b 'EchoService' | 10 00 01 00 09 00 04 'echo' | 00 00");

    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new KitexFrameDecoder());

    @AfterEach
    void tearDown() {
        assertThat(decoder.finishAndReleaseAll()).isFalse();
    }

    @Test
    void workedExampleSizes() {
        assertThat(CALL).hasSize(48);
        assertThat(REPLY).hasSize(48);
        assertThat(ISN_ECHO_HEADER_INFO).hasSize(36);
    }

    @Test
    void encodesTheCall() {
        final ByteBuf payload = ThriftCodec.encodeMessage(alloc, "echo", ThriftMessageHeader.CALL, 1,
                                                          new InteropService.echoString_args("hi"));
        assertThat(bytes(payload)).isEqualTo(Arrays.copyOfRange(CALL, 22, 48));
        assertThat(encode(new KitexFrame(Transport.TTHEADER_FRAMED, null, payload))).isEqualTo(CALL);
    }

    @Test
    void decodesTheCall() {
        final KitexFrame frame = decodeOne(CALL);
        try {
            assertThat(frame.transport()).isEqualTo(Transport.TTHEADER_FRAMED);
            assertThat(frame.header().seqId()).isEqualTo(1);
            assertThat(frame.header().flags()).isZero();
            assertThat(frame.header().protocolId()).isZero();
            assertThat(frame.header().isEmpty()).isTrue();
            assertThat(frame.messageHeader()).isEqualTo(new ThriftMessageHeader("echo", ThriftMessageHeader.CALL, 1));
            assertThat(bytes(frame.payload())).isEqualTo(Arrays.copyOfRange(CALL, 22, 48));

            final InteropService.echoString_args args = new InteropService.echoString_args();
            assertThat(ThriftCodec.decodeMessage(frame.payload(), args).name()).isEqualTo("echo");
            assertThat(args.getValue()).isEqualTo("hi");
        } finally {
            frame.release();
        }
    }

    @Test
    void encodesTheReply() {
        final InteropService.echoString_result result = new InteropService.echoString_result();
        result.setSuccess("hi");
        final ByteBuf payload = ThriftCodec.encodeMessage(alloc, "echo", ThriftMessageHeader.REPLY, 1, result);
        assertThat(encode(new KitexFrame(Transport.TTHEADER_FRAMED, TTHeader.empty(), payload))).isEqualTo(REPLY);
    }

    @Test
    void decodesTheReply() {
        final KitexFrame frame = decodeOne(REPLY);
        try {
            assertThat(frame.transport()).isEqualTo(Transport.TTHEADER_FRAMED);
            assertThat(frame.messageHeader()).isEqualTo(new ThriftMessageHeader("echo", ThriftMessageHeader.REPLY, 1));
            final InteropService.echoString_result result = new InteropService.echoString_result();
            ThriftCodec.decodeMessage(frame.payload(), result);
            assertThat(result.getSuccess()).isEqualTo("hi");
        } finally {
            frame.release();
        }
    }

    @Test
    void plainFramedIsTheLast30Bytes() {
        final byte[] framed = Arrays.copyOfRange(CALL, 18, 48);
        assertThat(framed).startsWith(hex("00 00 00 1a 80 01 00 01"));

        final ByteBuf payload = ThriftCodec.encodeMessage(alloc, "echo", ThriftMessageHeader.CALL, 1,
                                                          new InteropService.echoString_args("hi"));
        assertThat(encode(new KitexFrame(Transport.FRAMED, null, payload))).isEqualTo(framed);

        final KitexFrame frame = decodeOne(framed);
        try {
            assertThat(frame.transport()).isEqualTo(Transport.FRAMED);
            assertThat(frame.header()).isNull();
            assertThat(frame.messageHeader().name()).isEqualTo("echo");
            assertThat(bytes(frame.payload())).isEqualTo(Arrays.copyOfRange(CALL, 22, 48));
        } finally {
            frame.release();
        }
    }

    @Test
    void unframedTTHeaderAndBufferedForms() {
        final byte[] message = Arrays.copyOfRange(CALL, 22, 48);
        // TTHeader without the inner frame length: LENGTH = 10 + 4 + 26 = 40.
        final byte[] ttheader = TestBytes.concat(hex("00 00 00 28 10 00 00 00 00 00 00 01 00 01 00 00 00 00"),
                                                 message);
        final ByteBuf p1 = buf(message.clone());
        assertThat(encode(new KitexFrame(Transport.TTHEADER, null, p1))).isEqualTo(ttheader);
        final ByteBuf p2 = buf(message.clone());
        assertThat(encode(new KitexFrame(Transport.BUFFERED, null, p2))).isEqualTo(message);

        final KitexFrame a = decodeOne(ttheader);
        final KitexFrame b = decodeOne(message);
        try {
            assertThat(a.transport()).isEqualTo(Transport.TTHEADER);
            assertThat(bytes(a.payload())).isEqualTo(message);
            assertThat(b.transport()).isEqualTo(Transport.BUFFERED);
            assertThat(b.header()).isNull();
            assertThat(bytes(b.payload())).isEqualTo(message);
        } finally {
            a.release();
            b.release();
        }
    }

    @Test
    void encodesTheIsnAndToMethodHeaderBlockExactly() {
        final TTHeader header = TTHeader.builder()
                                        .string(MetaKeys.ISN, "EchoService")
                                        .intValue(MetaKeys.TO_METHOD, "echo")
                                        .build();
        final ByteBuf payload = buf(Arrays.copyOfRange(CALL, 22, 48));
        final byte[] wire = encode(new KitexFrame(Transport.TTHEADER_FRAMED, header, payload));

        assertThat(Arrays.copyOfRange(wire, 12, 14)).isEqualTo(hex("00 09"));
        assertThat(Arrays.copyOfRange(wire, 14, 50)).isEqualTo(ISN_ECHO_HEADER_INFO);
        assertThat(wire).hasSize(14 + 36 + 4 + 26);
        assertThat(Arrays.copyOfRange(wire, 0, 4)).isEqualTo(TestBytes.u32(wire.length - 4));
        assertThat(Arrays.copyOfRange(wire, 50, 80)).isEqualTo(Arrays.copyOfRange(CALL, 18, 48));
    }

    @Test
    void decodesTheHeaderBlockInEitherOrder() {
        final byte[] message = TestBytes.framed(Arrays.copyOfRange(CALL, 22, 48));
        final byte[] asWritten = TestBytes.ttheader(0, 1, ISN_ECHO_HEADER_INFO, message);
        // Go map order is random: the integer block first, and two keys in the other order, must decode the same.
        final byte[] reordered = TestBytes.ttheader(0, 1, hex("""
                00 00
                10 00 01 00 09 00 04 'echo'
                01 00 02 00 01 'k' 00 01 'v' 00 03 'isn' 00 0b 'EchoService'
                00 00 00 00
                """), message);

        final KitexFrame a = decodeOne(asWritten);
        final KitexFrame b = decodeOne(reordered);
        try {
            assertThat(a.header().strings()).isEqualTo(Map.of("isn", "EchoService"));
            assertThat(a.header().ints()).isEqualTo(Map.of(9, "echo"));
            assertThat(a.header().string(MetaKeys.ISN)).isEqualTo("EchoService");
            assertThat(a.header().intValue(MetaKeys.TO_METHOD)).isEqualTo("echo");
            assertThat(b.header().strings()).isEqualTo(Map.of("isn", "EchoService", "k", "v"));
            assertThat(b.header().ints()).isEqualTo(Map.of(9, "echo"));
            assertThat(b.transport()).isEqualTo(Transport.TTHEADER_FRAMED);
        } finally {
            a.release();
            b.release();
        }
    }

    @Test
    void paddingIsSkippedWhereverItIs() {
        final byte[] message = TestBytes.framed(Arrays.copyOfRange(CALL, 22, 48));
        // Padding bytes before, between and after the blocks; a transform id that is read and ignored.
        final byte[] info = hex("""
                00 01 07
                00 00
                01 00 01 00 01 'a' 00 01 'b'
                00
                10 00 01 00 03 00 01 'c'
                00 00 00 00 00 00 00 00
                """);
        final KitexFrame frame = decodeOne(TestBytes.ttheader(0, 1, pad(info), message));
        try {
            assertThat(frame.header().strings()).isEqualTo(Map.of("a", "b"));
            assertThat(frame.header().ints()).isEqualTo(Map.of(3, "c"));
        } finally {
            frame.release();
        }
    }

    @Test
    void emptyHeaderIsFourZeroBytesWithHeaderSizeOne() {
        final ByteBuf payload = buf(Arrays.copyOfRange(CALL, 22, 48));
        final byte[] wire = encode(new KitexFrame(Transport.TTHEADER, TTHeader.builder().build(), payload));
        assertThat(Arrays.copyOfRange(wire, 12, 18)).isEqualTo(hex("00 01 00 00 00 00"));
        assertThat(wire).hasSize(14 + 4 + 26);
    }

    @Test
    void aclTokenIsWrittenAsItsOwnBlockAndReadBackAsTheGdprKey() {
        final TTHeader header = TTHeader.builder()
                                        .string(MetaKeys.GDPR_TOKEN, "tok")
                                        .string("RPC_TRANSIT_a", "1")
                                        .build();
        final ByteBuf payload = buf(Arrays.copyOfRange(CALL, 22, 48));
        final byte[] wire = encode(new KitexFrame(Transport.TTHEADER_FRAMED, header, payload));
        // ACL block first, then the string block with the remaining key only.
        final byte[] info = hex("00 00 | 11 00 03 'tok' | 01 00 01 00 0d 'RPC_TRANSIT_a' 00 01 '1' | 00 00 00");
        assertThat(info.length % 4).isZero();
        assertThat(Arrays.copyOfRange(wire, 14, 14 + info.length)).isEqualTo(info);

        final KitexFrame frame = decodeOne(wire);
        try {
            assertThat(frame.header().strings()).isEqualTo(Map.of(MetaKeys.GDPR_TOKEN, "tok", "RPC_TRANSIT_a", "1"));
        } finally {
            frame.release();
        }
    }

    private static byte[] pad(byte[] info) {
        return Arrays.copyOf(info, (info.length + 3) / 4 * 4);
    }

    private byte[] encode(KitexFrame frame) {
        final ByteBuf out = KitexFrameEncoder.encode(alloc, frame);
        try {
            return bytes(out);
        } finally {
            out.release();
            frame.release();
        }
    }

    private KitexFrame decodeOne(byte[] wire) {
        assertThat(decoder.writeInbound(buf(wire))).isTrue();
        final KitexFrame frame = decoder.readInbound();
        assertThat(decoder.<Object>readInbound()).isNull();
        return frame;
    }
}
