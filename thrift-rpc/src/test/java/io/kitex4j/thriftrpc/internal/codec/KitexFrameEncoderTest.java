package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.bytes;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@ExtendWith(NettyLeakDetection.class)
class KitexFrameEncoderTest {

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final EmbeddedChannel channel = new EmbeddedChannel(KitexFrameEncoder.INSTANCE);

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    /** Everything written so far, as one buffer (the framing and the payload are separate messages). */
    private ByteBuf readWire() {
        final CompositeByteBuf all = alloc.compositeBuffer();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            all.addComponent(true, b);
        }
        return all;
    }

    private ByteBuf payload(int seqId, String value) {
        return alloc.directBuffer().writeBytes(Samples.echoStringCall(seqId, value));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void encodedFrameDecodesToTheSameFrame(Transport transport) {
        final TTHeader header = TTHeader.builder().string("RPC_PERSIST_k", "v").intValue(MetaKeys.FROM_SERVICE, "svc")
                                        .build();
        final ByteBuf payload = payload(9, "round trip");
        final byte[] message = bytes(payload);
        channel.writeOutbound(new KitexFrame(transport, header, payload));
        final ByteBuf wire = readWire();

        final EmbeddedChannel decoder = new EmbeddedChannel(new KitexFrameDecoder());
        decoder.writeInbound(wire);
        final KitexFrame frame = decoder.readInbound();
        try {
            assertThat(frame.transport()).isEqualTo(transport);
            assertThat(bytes(frame.payload())).isEqualTo(message);
            if (transport.hasTTHeader()) {
                assertThat(frame.header().strings()).isEqualTo(header.strings());
                assertThat(frame.header().ints()).isEqualTo(header.ints());
                assertThat(frame.header().seqId()).isEqualTo(9);
            } else {
                // The header is not sent without TTHeader, as in Kitex.
                assertThat(frame.header()).isNull();
            }
        } finally {
            frame.release();
            assertThat(decoder.finishAndReleaseAll()).isFalse();
        }
        assertThat(payload.refCnt()).isZero();
    }

    @Test
    void payloadIsNotCopied() {
        final ByteBuf payload = payload(1, "not copied");
        payload.retain(); // keep it alive to look at it after the frame is released
        try {
            channel.writeOutbound(new KitexFrame(Transport.TTHEADER_FRAMED, null, payload));
            final ByteBuf head = channel.readOutbound();
            final ByteBuf body = channel.readOutbound();
            try {
                assertThat(head.readableBytes()).isEqualTo(14 + 4 + 4);
                // The payload itself is the second message: the same buffer, not a copy.
                assertThat(body).isSameAs(payload);
                assertThat(channel.<Object>readOutbound()).isNull();
            } finally {
                head.release();
                body.release();
            }
            assertThat(payload.refCnt()).isEqualTo(1);
        } finally {
            payload.release();
        }
    }

    @Test
    void ttheaderSeqIdIsThePayloadsAndFlagsAreWrittenAsGiven() {
        final TTHeader header = TTHeader.builder().seqId(99).flags(TTHeader.FLAG_SUPPORT_OUT_OF_ORDER).build();
        channel.writeOutbound(new KitexFrame(Transport.TTHEADER, header, payload(7, "x")));
        final ByteBuf wire = readWire();
        try {
            assertThat(wire.getInt(4)).isEqualTo(0x10000001);
            assertThat(wire.getInt(8)).isEqualTo(7);
        } finally {
            wire.release();
        }
    }

    @Test
    void framesAreBatchedUntilFlush() {
        final ChannelFuture f1 = channel.write(new KitexFrame(Transport.FRAMED, null, payload(1, "a")));
        final ChannelFuture f2 = channel.write(new KitexFrame(Transport.BUFFERED, null, payload(2, "b")));
        assertThat(channel.outboundMessages()).isEmpty();
        channel.flush();
        assertThat(f1.isSuccess()).isTrue();
        assertThat(f2.isSuccess()).isTrue();
        // Framed: the length, then the payload; Buffered: the payload alone.
        assertThat(channel.outboundMessages()).hasSize(3);
    }

    @Test
    void stringLongerThan65535BytesFailsTheWriteAndReleasesTheFrame() {
        final ByteBuf payload = payload(1, "x");
        final TTHeader header = TTHeader.builder().string("big", "é".repeat(32768)).build(); // 65536 UTF-8 bytes
        final ChannelFuture f = channel.writeOneOutbound(new KitexFrame(Transport.TTHEADER_FRAMED, header, payload));
        channel.flushOutbound();
        assertThat(f.cause()).isInstanceOf(KitexEncodeException.class)
                             .hasMessageContaining("string of 65536 bytes for key 'big' exceeds the 65535-byte limit");
        assertThat(payload.refCnt()).isZero();
        assertThat(channel.<Object>readOutbound()).isNull();
    }

    @Test
    void headerLargerThan64KiBFailsTheWrite() {
        final TTHeader.Builder b = TTHeader.builder();
        for (int i = 0; i < 70; i++) {
            b.string("key-" + i, "v".repeat(1000));
        }
        final ByteBuf payload = payload(1, "x");
        final ChannelFuture f = channel.writeOneOutbound(new KitexFrame(Transport.TTHEADER, b.build(), payload));
        channel.flushOutbound();
        assertThat(f.cause()).isInstanceOf(KitexEncodeException.class)
                             .hasMessageContaining("header info of more than 65536 bytes");
        assertThat(payload.refCnt()).isZero();
        // The connection is still usable.
        channel.writeOutbound(new KitexFrame(Transport.FRAMED, null, payload(2, "y")));
        readWire().release();
    }

    @Test
    void headerOfExactly64KiBIsWritten() {
        // 2 + 3 + (2 + 1 + 2 + n) = 65536  =>  n = 65526
        final TTHeader header = TTHeader.builder().string("k", "v".repeat(65526)).build();
        final KitexFrame frame = new KitexFrame(Transport.TTHEADER, header, payload(1, "x"));
        final ByteBuf wire = KitexFrameEncoder.encode(alloc, frame);
        try {
            assertThat(wire.getUnsignedShort(12) * 4).isEqualTo(TTHeader.MAX_ENCODE_HEADER_BYTES);
        } finally {
            wire.release();
            frame.release();
        }
    }

    @Test
    void payloadThatIsNotAThriftMessageIsRefused() {
        final ByteBuf payload = alloc.buffer().writeBytes(hex("00 00 00 00 00 00 00 00 00 00 00 00 00"));
        final ChannelFuture f = channel.writeOneOutbound(new KitexFrame(Transport.FRAMED, null, payload));
        channel.flushOutbound();
        assertThat(f.cause()).isInstanceOf(KitexEncodeException.class).hasMessageContaining("bad version");
        assertThat(payload.refCnt()).isZero();
    }

    @Test
    void staticEncodeLeavesTheFrameAlone() {
        final KitexFrame frame = new KitexFrame(Transport.FRAMED, null, payload(3, "static"));
        final int readerIndex = frame.payload().readerIndex();
        final ByteBuf wire = KitexFrameEncoder.encode(alloc, frame);
        try {
            // The encoded buffer holds its own reference to the payload.
            assertThat(frame.refCnt()).isEqualTo(2);
            assertThat(frame.payload().readerIndex()).isEqualTo(readerIndex);
            assertThat(Arrays.copyOf(bytes(wire), 4)).isEqualTo(TestBytes.u32(frame.payload().readableBytes()));
        } finally {
            wire.release();
        }
        assertThat(frame.refCnt()).isEqualTo(1);
        frame.release();
    }

    @Test
    void frameMessageHeaderIsParsedLazilyForHandMadeFrames() {
        final KitexFrame frame = new KitexFrame(Transport.FRAMED, null, payload(12, "lazy"));
        try {
            assertThat(frame.messageHeader())
                    .isEqualTo(new ThriftMessageHeader("echoString", ThriftMessageHeader.CALL, 12));
            assertThat(frame.payload().readerIndex()).isZero();
            assertThat(frame.toString()).contains("CALL echoString seqId=12");
            final KitexFrame copy = frame.copy();
            assertThat(copy.transport()).isEqualTo(Transport.FRAMED);
            assertThat(copy.messageHeader().seqId()).isEqualTo(12);
            copy.release();
        } finally {
            frame.release();
        }
        final KitexFrame bad = new KitexFrame(Transport.BUFFERED, null, alloc.buffer().writeInt(1));
        try {
            assertThatThrownBy(bad::messageHeader).isInstanceOf(KitexCodecException.class);
        } finally {
            bad.release();
        }
    }

    @Test
    void headerGivenWithAFramedTransportIsIgnored() {
        final TTHeader header = TTHeader.builder().strings(Map.of("k", "v")).build();
        channel.writeOutbound(new KitexFrame(Transport.FRAMED, header, payload(1, "x")));
        final ByteBuf wire = readWire();
        try {
            assertThat(wire.readableBytes()).isEqualTo(4 + Samples.echoStringCall(1, "x").length);
        } finally {
            wire.release();
        }
    }
}
