package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.buf;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.bytes;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.concat;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.framed;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.hex;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.ttheader;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.u16;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.u32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@ExtendWith(NettyLeakDetection.class)
class KitexFrameDecoderTest {

    private static final byte[] INFO_WITH_KVS = hex(
            "00 00 | 01 00 01 00 03 'isn' 00 0b 'EchoService' | 10 00 01 00 09 00 04 'echo' | 00 00");

    private final List<KitexFrame> frames = new ArrayList<>();
    private EmbeddedChannel channel = new EmbeddedChannel(new KitexFrameDecoder());

    @AfterEach
    void releaseEverything() {
        frames.forEach(KitexFrame::release);
        channel.finishAndReleaseAll();
    }

    /** {@code message} as it travels in {@code transport}, with {@link #INFO_WITH_KVS} for the TTHeader ones. */
    private static byte[] wire(Transport transport, byte[] message, int seqId) {
        return switch (transport) {
            case BUFFERED -> message;
            case FRAMED -> framed(message);
            case TTHEADER -> ttheader(0, seqId, INFO_WITH_KVS, message);
            case TTHEADER_FRAMED -> ttheader(0, seqId, INFO_WITH_KVS, framed(message));
        };
    }

    /** {@code message} encoded by {@link KitexFrameEncoder}, with the header {@link #INFO_WITH_KVS} holds. */
    private static byte[] encoded(Transport transport, byte[] message) {
        final TTHeader header = TTHeader.builder().string(MetaKeys.ISN, "EchoService")
                                        .intValue(MetaKeys.TO_METHOD, "echo").build();
        final KitexFrame frame = new KitexFrame(transport, header, buf(message.clone()));
        final ByteBuf out = KitexFrameEncoder.encode(UnpooledByteBufAllocator.DEFAULT, frame);
        try {
            return bytes(out);
        } finally {
            out.release();
            frame.release();
        }
    }

    // ------------------------------------------------------------------ fragmentation and pipelining

    @ParameterizedTest
    @EnumSource(Transport.class)
    void oneByteAtATime(Transport transport) {
        final byte[] m1 = Samples.echoAllCallBytes(1);
        final byte[] m2 = Samples.echoStringCall(2, "second");
        // What the encoder writes is exactly these bytes (so this is a full round trip).
        assertThat(encoded(transport, m1)).isEqualTo(wire(transport, m1, 1));
        assertThat(encoded(transport, m2)).isEqualTo(wire(transport, m2, 2));
        final byte[] wire = concat(encoded(transport, m1), encoded(transport, m2));
        for (byte b : wire) {
            channel.writeInbound(buf(new byte[] {b}));
            drain();
        }
        assertThat(frames).hasSize(2);
        assertFrame(frames.get(0), transport, m1, "echoAll", 1);
        assertFrame(frames.get(1), transport, m2, "echoString", 2);

        final InteropService.echoAll_args args = new InteropService.echoAll_args();
        ThriftCodec.decodeMessage(frames.get(0).payload(), args);
        assertThat(args.getValue()).isEqualTo(Samples.allTypes());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void wholeMessageInOneRead(Transport transport) {
        final byte[] m = Samples.echoAllCallBytes(5);
        channel.writeInbound(buf(wire(transport, m, 5)));
        drain();
        assertThat(frames).hasSize(1);
        assertFrame(frames.get(0), transport, m, "echoAll", 5);
    }

    @Test
    void pipelinedMessagesOfMixedTransportsInOneBuffer() {
        final List<Transport> order = List.of(Transport.BUFFERED, Transport.TTHEADER, Transport.FRAMED,
                                              Transport.TTHEADER_FRAMED, Transport.BUFFERED, Transport.FRAMED,
                                              Transport.TTHEADER);
        final List<byte[]> messages = new ArrayList<>();
        byte[] all = new byte[0];
        for (int i = 0; i < order.size(); i++) {
            final byte[] m = i % 2 == 0 ? Samples.echoAllCallBytes(i + 1) : Samples.echoStringCall(i + 1, "m" + i);
            messages.add(m);
            all = concat(all, wire(order.get(i), m, i + 1));
        }
        channel.writeInbound(buf(all));
        drain();
        assertThat(frames).hasSize(order.size());
        for (int i = 0; i < order.size(); i++) {
            assertFrame(frames.get(i), order.get(i), messages.get(i), i % 2 == 0 ? "echoAll" : "echoString", i + 1);
        }
    }

    @Test
    void pipelinedMessagesInRandomChunks() {
        final Random random = new Random(42);
        final List<Transport> order = new ArrayList<>();
        final List<byte[]> messages = new ArrayList<>();
        byte[] all = new byte[0];
        for (int i = 0; i < 40; i++) {
            final Transport t = Transport.values()[random.nextInt(4)];
            final byte[] m = random.nextBoolean() ? Samples.echoAllCallBytes(i + 1)
                                                  : Samples.echoStringCall(i + 1, "x".repeat(random.nextInt(300)));
            order.add(t);
            messages.add(m);
            all = concat(all, wire(t, m, i + 1));
        }
        for (int at = 0; at < all.length; ) {
            final int n = Math.min(all.length - at, 1 + random.nextInt(700));
            channel.writeInbound(buf(Arrays.copyOfRange(all, at, at + n)));
            at += n;
        }
        drain();
        assertThat(frames).hasSize(40);
        for (int i = 0; i < 40; i++) {
            assertThat(frames.get(i).transport()).isEqualTo(order.get(i));
            assertThat(bytes(frames.get(i).payload())).isEqualTo(messages.get(i));
        }
    }

    @Test
    void bufferedMessageWithEveryTypeIsDelimitedExactly() {
        // Followed directly by another message: any mistake in skipping shows up as a wrong split.
        final byte[] m1 = Samples.echoAllCallBytes(1);
        final byte[] m2 = Samples.echoStringCall(2, "next");
        channel.writeInbound(buf(concat(m1, m2)));
        drain();
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0).payload().readableBytes()).isEqualTo(m1.length);
        assertThat(frames.get(1).messageHeader().name()).isEqualTo("echoString");
    }

    @Test
    void bufferedPrimitiveContainersAndEmptyContainersOfUnknownTypes() {
        // list<i64> of 3 (fast path), map<i32,string> (slow path), set of count 0 with an unknown element type
        // (gopkg does not look at the type when the count is 0), a nested struct, then STOP.
        final byte[] body = hex("""
                0f 00 01 0a 00 00 00 03  00 00 00 00 00 00 00 01  00 00 00 00 00 00 00 02  00 00 00 00 00 00 00 03
                0d 00 02 08 0b 00 00 00 01  00 00 00 05  00 00 00 01 'v'
                0e 00 03 42 00 00 00 00
                0c 00 04  02 00 01 01  00
                00
                """);
        final byte[] m = TestBytes.message("m", ThriftMessageHeader.CALL, 3, body);
        for (byte b : m) {
            channel.writeInbound(buf(new byte[] {b}));
        }
        drain();
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).payload().readableBytes()).isEqualTo(m.length);
    }

    @Test
    void payloadIsASliceOfTheReceivedBytesNotACopy() {
        final ByteBuf in = UnpooledByteBufAllocator.DEFAULT.directBuffer(256);
        in.writeBytes(framed(Samples.echoStringCall(1, "zero-copy")));
        final long address = in.hasMemoryAddress() ? in.memoryAddress() : -1;
        channel.writeInbound(in);
        drain();
        final ByteBuf payload = frames.get(0).payload();
        if (address != -1) {
            assertThat(payload.memoryAddress()).isEqualTo(address + 4);
        }
        assertThat(payload.unwrap()).isNotNull();
    }

    @Test
    void waitsForTheRestOfAFrame() {
        final byte[] wire = wire(Transport.TTHEADER_FRAMED, Samples.echoAllCallBytes(1), 1);
        channel.writeInbound(buf(Arrays.copyOf(wire, wire.length - 1)));
        assertThat(channel.<Object>readInbound()).isNull();
        channel.writeInbound(buf(new byte[] {wire[wire.length - 1]}));
        drain();
        assertThat(frames).hasSize(1);
    }

    // ------------------------------------------------------------------ refused input

    @Test
    void garbage() {
        assertRefused("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))
                .hasMessageContaining("invalid payload")
                .hasMessageContaining("first4Bytes=0x47455420");
    }

    @Test
    void http2Preface() {
        assertRefused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII))
                .hasMessageContaining("HTTP/2 connection preface");
    }

    @Test
    void apacheTHeader() {
        assertRefused(hex("00 00 00 20 0f ff 00 00 00 00 00 01 00 01 00 00"))
                .hasMessageContaining("THeader (0x0FFF)");
    }

    @Test
    void meshHeader() {
        assertRefused(hex("ff af 00 08 00 01 00 01 'k' 00 01 'v'")).hasMessageContaining("MeshHeader");
    }

    @Test
    void kitexProtobuf() {
        assertRefused(hex("00 00 00 20 90 01 00 01 00 00 00 04 'echo'")).hasMessageContaining("Kitex Protobuf");
        // Also inside a TTHeader.
        newChannel(new KitexFrameDecoder());
        assertRefused(ttheader(0, 1, hex("00 00 00 00"), hex("00 00 00 10 90 01 00 01 00 00 00 00 00 00 00 01")))
                .hasMessageContaining("TTHeader payload: ")
                .hasMessageContaining("Kitex Protobuf");
    }

    @Test
    void thriftCompact() {
        assertRefused(hex("82 21 01 04 'echo' 0b 00 00")).hasMessageContaining("Thrift Compact");
        newChannel(new KitexFrameDecoder());
        assertRefused(hex("00 00 00 0c 82 21 01 04 'echo' 00 00 00")).hasMessageContaining("Thrift Compact");
    }

    @Test
    void nonStrictBinary() {
        // Old-style binary: name length, name, type byte, seqId.
        assertRefused(hex("00 00 00 04 'echo' 01 00 00 00 01 00")).hasMessageContaining("non-strict");
    }

    @Test
    void ttheaderProtocolIdCompactIsRejectedBeforeTheFrameArrives() {
        // Only the first 15 bytes: the protocol id alone decides.
        final byte[] wire = ttheader(0, 1, hex("02 00 00 00"), framed(Samples.echoStringCall(1, "x")));
        assertRefused(Arrays.copyOf(wire, 15))
                .hasMessageContaining("unsupported protocol id 0x02 (Thrift Compact)");
    }

    @Test
    void ttheaderProtocolIdCompactV2PassesButACompactPayloadDoesNot() {
        final byte[] compact = hex("82 21 01 04 'echo' 0b 00 00");
        assertRefused(ttheader(0, 1, hex("03 00 00 00"), compact))
                .hasMessageContaining("TTHeader payload: ")
                .hasMessageContaining("Thrift Compact");
    }

    @Test
    void ttheaderProtocolIdCompactV2WithABinaryPayloadIsAccepted() {
        // Kitex accepts 0x03 "for compatibility"; the payload's magic decides.
        channel.writeInbound(buf(ttheader(0, 1, hex("03 00 00 00"), Samples.echoStringCall(1, "x"))));
        drain();
        assertThat(frames.get(0).header().protocolId()).isEqualTo(3);
    }

    @Test
    void unknownInfoId() {
        assertRefused(ttheader(0, 1, hex("00 00 05 00"), framed(Samples.echoStringCall(1, "x"))))
                .hasMessageContaining("invalid info id 0x05");
    }

    @Test
    void keyValueRunningPastTheHeaderEnd() {
        assertRefused(ttheader(0, 1, hex("00 00 01 00 01 00 09 'ab' 00 00 00"), framed(Samples.echoStringCall(1, "x"))))
                .hasMessageContaining("runs past the header end");
        newChannel(new KitexFrameDecoder());
        assertRefused(ttheader(0, 1, hex("00 00 10 00"), framed(Samples.echoStringCall(1, "x"))))
                .hasMessageContaining("ends inside the integer key-value count");
    }

    @Test
    void headerSizeOverflowingTheFrame() {
        // LENGTH 0x20 leaves 22 bytes after the fixed part, HEADER SIZE 100 claims 400.
        assertRefused(hex("00 00 00 20 10 00 00 00 00 00 00 01 00 64"))
                .hasMessageContaining("header size 400 overflows the frame");
    }

    @Test
    void headerSizeZero() {
        assertRefused(hex("00 00 00 20 10 00 00 00 00 00 00 01 00 00")).hasMessageContaining("invalid header size 0");
    }

    @Test
    void ttheaderStreamingFlag() {
        assertRefused(ttheader(0x0002, 1, hex("00 00 00 00"), framed(Samples.echoStringCall(1, "x"))))
                .hasMessageContaining("TTHeader Streaming");
    }

    @Test
    void ttheaderFramedLengthMismatch() {
        final byte[] m = Samples.echoStringCall(1, "x");
        assertRefused(ttheader(0, 1, hex("00 00 00 00"), concat(u32(m.length - 1), m, hex("00"))))
                .hasMessageContaining("does not match");
    }

    @Test
    void ttheaderPayloadTooShort() {
        assertRefused(ttheader(0, 1, hex("00 00 00 00"), hex("80 01 00 01"))).hasMessageContaining("too short");
    }

    @Test
    void framedLengthShorterThanAnyMessage() {
        assertRefused(hex("00 00 00 05 80 01 00 01 00")).hasMessageContaining("shorter than the smallest");
    }

    @Test
    void methodNameLongerThanTheFrame() {
        assertRefused(framed(hex("80 01 00 01 00 00 00 ff 'echo' 00 00 00 01 00")))
                .hasMessageContaining("method name length 255");
    }

    @Test
    void bufferedNegativeLengthsAndUnknownTypes() {
        assertRefused(hex("80 01 00 01 ff ff ff ff 00 00 00 00")).hasMessageContaining("negative method name length");
        newChannel(new KitexFrameDecoder());
        assertRefused(TestBytes.message("m", 1, 1, hex("0b 00 01 ff ff ff fe")))
                .hasMessageContaining("negative string length");
        newChannel(new KitexFrameDecoder());
        // 16 is UUID (libthrift 0.19+), which Kitex does not know either.
        assertRefused(TestBytes.message("m", 1, 1, hex("10 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")))
                .hasMessageContaining("unknown data type 16");
        newChannel(new KitexFrameDecoder());
        assertRefused(TestBytes.message("m", 1, 1, hex("0f 00 01 07 00 00 00 01 00")))
                .hasMessageContaining("unknown data type 7");
    }

    @Test
    void bufferedNestingDepthIsLimited() {
        // A struct holding list<list<...<list<i32>>...>>, each list with one element.
        final int lists = 70;
        byte[] body = concat(hex("0f 00 01"));
        for (int i = 0; i < lists - 1; i++) {
            body = concat(body, hex("0f 00 00 00 01"));
        }
        body = concat(body, hex("08 00 00 00 00 00"));
        final byte[] m = TestBytes.message("deep", 1, 1, body);
        assertRefused(m).hasMessageContaining("nesting depth exceeds 64");

        // The same message passes with a larger limit, and a shallow one with a smaller limit.
        newChannel(new KitexFrameDecoder(KitexFrameDecoder.DEFAULT_MAX_FRAME_BYTES, 100));
        channel.writeInbound(buf(m));
        drain();
        assertThat(frames).hasSize(1);
        newChannel(new KitexFrameDecoder(KitexFrameDecoder.DEFAULT_MAX_FRAME_BYTES, 3));
        assertRefused(Samples.echoAllCallBytes(1)).hasMessageContaining("nesting depth exceeds 3");
    }

    // ------------------------------------------------------------------ limits

    @Test
    void framedLengthOverTheLimitFailsFromTheFirstEightBytesWithoutAllocating() {
        final TrackingAllocator alloc = new TrackingAllocator();
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new KitexFrameDecoder());
        // 2^30 announced; only 8 bytes sent, in two reads so the decoder has to accumulate.
        channel.writeInbound(buf(hex("40 00 00 00")));
        final long start = System.nanoTime();
        assertThatThrownBy(() -> channel.writeInbound(buf(hex("80 01 00 01"))))
                .isInstanceOfSatisfying(KitexCodecException.class,
                                        e -> assertThat(e.kind()).isEqualTo(Kind.FRAME_TOO_LARGE))
                .hasMessage("Framed: frame length 1073741824 exceeds the limit of 16777216 bytes");
        assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
        assertThat(alloc.largest).isLessThan(1024);
    }

    @Test
    void ttheaderLengthOverTheLimit() {
        assertRefused(hex("40 00 00 00 10 00 00 00"))
                .isInstanceOfSatisfying(KitexCodecException.class,
                                        e -> assertThat(e.kind()).isEqualTo(Kind.FRAME_TOO_LARGE))
                .hasMessageContaining("TTHeader: frame length 1073741824 exceeds the limit");
    }

    @Test
    void configurableLimit() {
        final byte[] m = Samples.echoStringCall(1, "x".repeat(200));
        newChannel(new KitexFrameDecoder(256));
        channel.writeInbound(buf(framed(m)));
        drain();
        assertThat(frames).hasSize(1);
        newChannel(new KitexFrameDecoder(128));
        assertRefused(framed(m)).hasMessageContaining("exceeds the limit of 128 bytes");
    }

    @Test
    void bufferedStringLengthOverTheLimitFailsBeforeTheBytesArrive() {
        final TrackingAllocator alloc = new TrackingAllocator();
        channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        channel.pipeline().addLast(new KitexFrameDecoder());
        // A string field announcing 2^30 bytes, and nothing after it.
        assertRefused(TestBytes.message("m", 1, 1, hex("0b 00 01 40 00 00 00")))
                .isInstanceOfSatisfying(KitexCodecException.class,
                                        e -> assertThat(e.kind()).isEqualTo(Kind.FRAME_TOO_LARGE))
                .hasMessageContaining("Buffered Thrift message exceeds the limit of 16777216 bytes");
        assertThat(alloc.largest).isLessThan(1024);
    }

    @Test
    void bufferedMessageGrowingPastTheLimitFieldByField() {
        final byte[] body = new byte[0];
        byte[] fields = body;
        for (int i = 0; i < 40; i++) {
            fields = concat(fields, hex("0a"), u16(i), u32(0), u32(i)); // i64 fields, 11 bytes each
        }
        newChannel(new KitexFrameDecoder(256));
        assertRefused(TestBytes.message("m", 1, 1, concat(fields, hex("00"))))
                .hasMessageContaining("exceeds the limit of 256 bytes");
    }

    @Test
    void bufferedListOfAHugeCountFailsAtOnce() {
        assertRefused(TestBytes.message("m", 1, 1, hex("0f 00 01 0a 7f ff ff ff")))
                .hasMessageContaining("exceeds the limit");
    }

    // ------------------------------------------------------------------ after a failure, truncation

    @Test
    void afterAFailureEverythingIsDiscarded() {
        assertRefused(hex("de ad be ef de ad be ef"));
        // A valid message on the same connection is no longer decoded: the stream is out of sync.
        channel.writeInbound(buf(framed(Samples.echoStringCall(1, "x"))));
        assertThat(channel.<Object>readInbound()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void truncatedMessageWaitsThenFailsWhenTheConnectionCloses(Transport transport) {
        final byte[] wire = wire(transport, Samples.echoAllCallBytes(1), 1);
        channel.writeInbound(buf(Arrays.copyOf(wire, wire.length / 2)));
        assertThat(channel.<Object>readInbound()).isNull();
        assertThat(channel.isActive()).isTrue();
        assertThatThrownBy(channel::finish)
                .isInstanceOfSatisfying(KitexCodecException.class, e -> assertThat(e.kind()).isEqualTo(Kind.TRUNCATED))
                .hasMessageContaining("connection closed in the middle of a message");
    }

    @Test
    void fewerThanEightBytesThenClose() {
        channel.writeInbound(buf(hex("00 00 00")));
        assertThatThrownBy(channel::finish).hasMessageContaining("3 bytes received");
    }

    @Test
    void cleanCloseBetweenMessagesIsFine() {
        channel.writeInbound(buf(framed(Samples.echoStringCall(1, "x"))));
        drain();
        assertThat(channel.finish()).isFalse();
    }

    // ------------------------------------------------------------------ helpers

    private void newChannel(KitexFrameDecoder decoder) {
        channel.finishAndReleaseAll();
        channel = new EmbeddedChannel(decoder);
    }

    private void drain() {
        for (KitexFrame f; (f = channel.readInbound()) != null; ) {
            frames.add(f);
        }
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertRefused(byte[] wire) {
        return assertThatThrownBy(() -> channel.writeInbound(buf(wire)))
                .isInstanceOf(KitexCodecException.class);
    }

    private static void assertFrame(KitexFrame frame, Transport transport, byte[] message, String name, int seqId) {
        assertThat(frame.transport()).isEqualTo(transport);
        assertThat(bytes(frame.payload())).isEqualTo(message);
        assertThat(frame.messageHeader()).isEqualTo(new ThriftMessageHeader(name, ThriftMessageHeader.CALL, seqId));
        if (transport.hasTTHeader()) {
            assertThat(frame.header().strings()).isEqualTo(Map.of("isn", "EchoService"));
            assertThat(frame.header().ints()).isEqualTo(Map.of(9, "echo"));
            assertThat(frame.header().seqId()).isEqualTo(seqId);
        } else {
            assertThat(frame.header()).isNull();
        }
    }

    /** Records the largest buffer requested. */
    static final class TrackingAllocator extends AbstractByteBufAllocator {
        int largest;

        TrackingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            largest = Math.max(largest, initialCapacity);
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            largest = Math.max(largest, initialCapacity);
            return new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    static {
        // AllTypes must be loadable; a missing idl jar should fail here with a clear message.
        new AllTypes();
    }
}
