package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.buf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.thrift.protocol.TProtocolException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The nesting limit of the message decoder ({@link ThriftCodec#decodeMessage}, through
 * {@link ByteBufBinaryProtocol}) and of the Buffered skipper ({@link KitexFrameDecoder}) count the same
 * levels, and libthrift's recursive reader never gets to overflow the stack. Runs with libthrift 0.17
 * and, in the compat run, 0.22.
 */
@ExtendWith(NettyLeakDetection.class)
class NestingDepthTest {

    /**
     * {@link Samples#allTypes()} in {@code echoAll}: args (1), AllTypes (2), {@code nestedContainers} map
     * (3), its {@code list<set<i16>>} (4), the sets of numbers adding none; {@code innerList} (3), Inner
     * (4), its {@code list<i64>} none.
     */
    private static final int ALL_TYPES_DEPTH = 4;

    @ParameterizedTest
    @ValueSource(ints = {ALL_TYPES_DEPTH - 1, ALL_TYPES_DEPTH, ALL_TYPES_DEPTH + 1})
    void generatedReaderAndBufferedSkipperAgreeOnTheDepth(int maxDepth) {
        final byte[] call = Samples.echoAllCallBytes(3);
        final boolean accepted = maxDepth >= ALL_TYPES_DEPTH;

        final InteropService.echoAll_args args = new InteropService.echoAll_args();
        final ByteBuf payload = buf(call);
        final ThriftMessageHeader header = ThriftCodec.peekMessageHeader(payload, 0, call.length);
        if (accepted) {
            ThriftCodec.decodeMessage(payload, args, header, maxDepth);
            assertThat(args.getValue()).isEqualTo(Samples.allTypes());
        } else {
            assertThatThrownBy(() -> ThriftCodec.decodeMessage(payload, args, header, maxDepth))
                    .isInstanceOfSatisfying(KitexCodecException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.NESTING_TOO_DEEP);
                        assertThat(e.getCause()).isInstanceOfSatisfying(TProtocolException.class, c ->
                                assertThat(c.getType()).isEqualTo(TProtocolException.DEPTH_LIMIT));
                    });
        }

        final EmbeddedChannel ch = new EmbeddedChannel(new KitexFrameDecoder(1 << 20, maxDepth));
        try {
            if (accepted) {
                ch.writeInbound(buf(call));
                final KitexFrame frame = ch.readInbound();
                assertThat(frame.transport()).isEqualTo(Transport.BUFFERED);
                frame.release();
            } else {
                assertThatThrownBy(() -> ch.writeInbound(buf(call)))
                        .isInstanceOfSatisfying(KitexCodecException.class, e -> {
                            assertThat(e.kind()).isEqualTo(Kind.NESTING_TOO_DEEP);
                            assertThat(e.refusedMessage().name()).isEqualTo("echoAll");
                            assertThat(e.refusedMessage().seqId()).isEqualTo(3);
                        });
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aHundredThousandLevelsFailWithoutStackOverflow(boolean lists) {
        final byte[] deep = nestedPing(100_000, lists);
        final ByteBuf payload = buf(deep);
        final ThriftMessageHeader header = ThriftCodec.peekMessageHeader(payload, 0, deep.length);
        assertThatThrownBy(() -> ThriftCodec.decodeMessage(payload, new InteropService.ping_args(), header))
                .isInstanceOfSatisfying(KitexCodecException.class,
                                        e -> assertThat(e.kind()).isEqualTo(Kind.NESTING_TOO_DEEP))
                .hasMessageContaining("nesting depth exceeds 64");
    }

    @Test
    void theDefaultLimitIs64AndAFailedMessageLeavesNoLevelOpen() {
        // The same thread's protocol is reused: the failure at 65 must not count against the next message.
        for (int round = 0; round < 3; round++) {
            assertThatThrownBy(() -> decodePing(nestedPing(65, false))).isInstanceOf(KitexCodecException.class);
            assertThatThrownBy(() -> decodePing(nestedPing(65, true))).isInstanceOf(KitexCodecException.class);
            decodePing(nestedPing(64, false));
            decodePing(nestedPing(64, true));
        }
    }

    private static void decodePing(byte[] message) {
        final ByteBuf payload = buf(message);
        ThriftCodec.decodeMessage(payload, new InteropService.ping_args(),
                                  ThriftCodec.peekMessageHeader(payload, 0, message.length));
    }

    /**
     * A {@code ping} CALL whose args struct (level 1) holds, in unknown field 100, structs or lists nested
     * to {@code depth} levels in all; the innermost list is empty and counts as no level.
     */
    static byte[] nestedPing(int depth, boolean lists) {
        final ByteArrayOutputStream b = new ByteArrayOutputStream(5 * depth + 32);
        b.writeBytes(TestBytes.u32(0x80010001L));
        b.writeBytes(TestBytes.u32(4));
        b.writeBytes("ping".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(TestBytes.u32(1));
        if (lists) {
            b.writeBytes(new byte[] {0x0f, 0, 100});
            for (int i = 1; i <= depth; i++) {
                b.write(0x0f);
                b.writeBytes(TestBytes.u32(i < depth ? 1 : 0));
            }
            b.write(0);
        } else {
            for (int i = 1; i < depth; i++) {
                b.writeBytes(new byte[] {0x0c, 0, 100});
            }
            for (int i = 0; i < depth; i++) {
                b.write(0);
            }
        }
        return b.toByteArray();
    }
}
