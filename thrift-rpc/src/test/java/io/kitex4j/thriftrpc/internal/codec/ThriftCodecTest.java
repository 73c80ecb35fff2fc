package io.kitex4j.thriftrpc.internal.codec;

import static io.kitex4j.thriftrpc.internal.codec.TestBytes.bytes;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(NettyLeakDetection.class)
class ThriftCodecTest {

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void allTypesRoundTripOnDirectAndHeapBuffers(boolean direct) {
        final AllTypes value = Samples.allTypes();
        final ByteBuf encoded = ThriftCodec.encodeMessage(alloc, "echoAll", ThriftMessageHeader.CALL, 77,
                                                          new InteropService.echoAll_args(value), 16);
        final ByteBuf payload = direct ? encoded : Unpooled.wrappedBuffer(bytes(encoded));
        try {
            final InteropService.echoAll_args decoded = new InteropService.echoAll_args();
            final ThriftMessageHeader header = ThriftCodec.decodeMessage(payload, decoded);
            assertThat(header).isEqualTo(new ThriftMessageHeader("echoAll", ThriftMessageHeader.CALL, 77));
            assertThat(decoded.getValue()).isEqualTo(value);
            assertThat(payload.isReadable()).isFalse();
        } finally {
            encoded.release();
            if (!direct) {
                payload.release();
            }
        }
    }

    @Test
    void binaryFieldsAreCopiedNotViewsOfTheRecycledBuffer() {
        final AllTypes value = Samples.allTypes();
        final ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer();
        final ByteBuf encoded = ThriftCodec.encodeMessage(alloc, "echoAll", ThriftMessageHeader.CALL, 1,
                                                          new InteropService.echoAll_args(value));
        heap.writeBytes(encoded);
        encoded.release();
        final InteropService.echoAll_args decoded = new InteropService.echoAll_args();
        ThriftCodec.decodeMessage(heap, decoded);
        // Overwrite the buffer (as its pool would on reuse): the decoded binaries must not change.
        heap.setZero(0, heap.capacity());
        heap.release();
        assertThat(decoded.getValue().getBinaryField()).containsExactly(0, 1, 0xFF, 0x80);
        assertThat(decoded.getValue()).isEqualTo(value);
    }

    @Test
    void bytesAreThoseOfLibthriftsStrictBinaryProtocol() throws Exception {
        final Request request = new Request("action", "payload ✓");
        final TMemoryBuffer memory = new TMemoryBuffer(64);
        final TBinaryProtocol protocol = new TBinaryProtocol(memory, true, true);
        protocol.writeMessageBegin(new TMessage("Echo", TMessageType.CALL, 5));
        new io.kitex4j.idl.echo.EchoServer.Echo_args(request).write(protocol);
        protocol.writeMessageEnd();
        final byte[] expected = java.util.Arrays.copyOf(memory.getArray(), memory.length());

        final ByteBuf ours = ThriftCodec.encodeMessage(alloc, "Echo", ThriftMessageHeader.CALL, 5,
                                                       new io.kitex4j.idl.echo.EchoServer.Echo_args(request));
        try {
            assertThat(bytes(ours)).isEqualTo(expected);
        } finally {
            ours.release();
        }
    }

    @Test
    void everyTypeHasLibthriftsBytesBothWays() throws Exception {
        final AllTypes value = Samples.allTypes().setOptString("unpaired \uD800 surrogate, 4-byte \uD83D\uDE00");
        final TMemoryBuffer memory = new TMemoryBuffer(1024);
        final TBinaryProtocol protocol = new TBinaryProtocol(memory, true, true);
        protocol.writeMessageBegin(new TMessage("echoAll", TMessageType.REPLY, 9));
        new InteropService.echoAll_result().setSuccess(value).write(protocol);
        protocol.writeMessageEnd();
        final byte[] expected = java.util.Arrays.copyOf(memory.getArray(), memory.length());

        final ByteBuf ours = ThriftCodec.encodeMessage(alloc, "echoAll", ThriftMessageHeader.REPLY, 9,
                                                       new InteropService.echoAll_result().setSuccess(value));
        try {
            assertThat(bytes(ours)).isEqualTo(expected);
        } finally {
            ours.release();
        }

        final ByteBuf theirs = Unpooled.wrappedBuffer(expected);
        try {
            final InteropService.echoAll_result decoded = new InteropService.echoAll_result();
            ThriftCodec.decodeMessage(theirs, decoded);
            final TBinaryProtocol in = new TBinaryProtocol(new TMemoryBuffer(0) {
                {
                    write(expected);
                }
            }, true, true);
            in.readMessageBegin();
            final InteropService.echoAll_result libDecoded = new InteropService.echoAll_result();
            libDecoded.read(in);
            assertThat(decoded).isEqualTo(libDecoded);
            // Both sides turn the unpaired surrogate into '?' (String.getBytes), the rest survives.
            assertThat(decoded.getSuccess())
                    .isEqualTo(value.deepCopy().setOptString("unpaired ? surrogate, 4-byte \uD83D\uDE00"));
        } finally {
            theirs.release();
        }
    }

    @Test
    void missingRequiredFieldFailsTheEncodeAndReleasesTheBuffer() {
        // Inner.id is required but a primitive; Request.action is a required string left null.
        assertThatThrownBy(() -> ThriftCodec.encodeMessage(alloc, "Echo", ThriftMessageHeader.CALL, 1,
                                                           new io.kitex4j.idl.echo.EchoServer.Echo_args(new Request())))
                .isInstanceOf(KitexEncodeException.class)
                .hasMessageContaining("cannot encode CALL Echo")
                .hasRootCauseInstanceOf(org.apache.thrift.protocol.TProtocolException.class);
    }

    @Test
    void exceptionBytesAreKitexs() {
        final ByteBuf out = ThriftCodec.encodeException(alloc, "echo", 1, new TApplicationException(
                KitexErrorTypes.UNKNOWN_SERVICE, "unknown service , method echo"));
        try {
            assertThat(bytes(out)).isEqualTo(hex("""
                    80 01 00 03 00 00 00 04 'echo' 00 00 00 01
                    0b 00 01 00 00 00 1d 'unknown service , method echo'
                    08 00 02 00 00 00 14
                    00
                    """));
            final TApplicationException e = ThriftCodec.decodeException(out);
            assertThat(e.getType()).isEqualTo(KitexErrorTypes.UNKNOWN_SERVICE);
            assertThat(e.getMessage()).isEqualTo("unknown service , method echo");
        } finally {
            out.release();
        }
    }

    @Test
    void exceptionWithoutMessageStillWritesFieldOne() {
        final ByteBuf out = ThriftCodec.encodeException(alloc, "m", 2, new TApplicationException(6));
        try {
            assertThat(bytes(out)).endsWith(hex("0b 00 01 00 00 00 00 08 00 02 00 00 00 06 00"));
        } finally {
            out.release();
        }
    }

    @Test
    void decodeExceptionSkipsUnknownFieldsAndReadsWhatLibthriftWrites() throws Exception {
        final ByteBuf in = Unpooled.wrappedBuffer(TestBytes.message("m", ThriftMessageHeader.EXCEPTION, 3, hex("""
                0f 00 05 0c 00 00 00 01  08 00 01 00 00 00 01 00
                08 00 02 00 00 00 07
                0b 00 01 00 00 00 03 'bad'
                00
                """)));
        try {
            final TApplicationException e = ThriftCodec.decodeException(in);
            assertThat(e.getType()).isEqualTo(KitexErrorTypes.PROTOCOL_ERROR);
            assertThat(e.getMessage()).isEqualTo("bad");
        } finally {
            in.release();
        }

        // libthrift's own writer (no message when null) reads back too.
        final TMemoryBuffer memory = new TMemoryBuffer(64);
        final TBinaryProtocol protocol = new TBinaryProtocol(memory, true, true);
        protocol.writeMessageBegin(new TMessage("m", TMessageType.EXCEPTION, 3));
        new TApplicationException(KitexErrorTypes.INTERNAL_ERROR, "biz error: boom").write(protocol);
        final ByteBuf lib = Unpooled.wrappedBuffer(memory.getArray(), 0, memory.length());
        try {
            final TApplicationException e = ThriftCodec.decodeException(lib);
            assertThat(e.getType()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("biz error: boom");
        } finally {
            lib.release();
        }
    }

    @Test
    void decodeExceptionRefusesOtherMessageTypesAndTruncation() {
        final ByteBuf call = Unpooled.wrappedBuffer(Samples.echoStringCall(1, "x"));
        try {
            assertThatThrownBy(() -> ThriftCodec.decodeException(call)).hasMessageContaining("expected an EXCEPTION");
        } finally {
            call.release();
        }
        final ByteBuf cut = Unpooled.wrappedBuffer(TestBytes.message("m", 3, 1, hex("0b 00 01 00 00 00 09 'ab'")));
        try {
            assertThatThrownBy(() -> ThriftCodec.decodeException(cut)).isInstanceOf(KitexCodecException.class);
        } finally {
            cut.release();
        }
    }

    @Test
    void nonStrictMessageIsRefused() {
        final ByteBuf in = Unpooled.wrappedBuffer(hex("00 00 00 04 'echo' 01 00 00 00 01 00"));
        try {
            assertThatThrownBy(() -> ThriftCodec.decodeMessage(in, new InteropService.echoString_args()))
                    .isInstanceOfSatisfying(KitexCodecException.class,
                                            e -> assertThat(e.kind()).isEqualTo(Kind.UNSUPPORTED_PROTOCOL))
                    .hasMessageContaining("bad version 0x00000004");
        } finally {
            in.release();
        }
    }

    @Test
    void forgedContainerSizeFailsWithoutAllocatingIt() {
        // echoAll_args{1: AllTypes{10: list<string> of 2^31-1 elements}} in a 40-byte message.
        final ByteBuf in = Unpooled.wrappedBuffer(TestBytes.message("echoAll", 1, 1, hex(
                "0c 00 01  0f 00 0a 0b 7f ff ff ff  00 00 00 01 'a'  00 00")));
        try {
            assertThatThrownBy(() -> ThriftCodec.decodeMessage(in, new InteropService.echoAll_args()))
                    .isInstanceOf(KitexCodecException.class)
                    .hasMessageContaining("cannot decode CALL echoAll");
        } finally {
            in.release();
        }
    }

    @Test
    void forgedStringLengthFailsWithoutAllocatingIt() {
        final ByteBuf in = Unpooled.wrappedBuffer(TestBytes.message("echoString", 1, 1, hex("0b 00 01 7f ff ff ff 'ab' 00")));
        try {
            assertThatThrownBy(() -> ThriftCodec.decodeMessage(in, new InteropService.echoString_args()))
                    .isInstanceOf(KitexCodecException.class);
        } finally {
            in.release();
        }
    }

    @Test
    void forgedBinaryLengthFailsWithoutAllocatingIt() {
        // echoBinary_args{1: binary of 2^31-1 bytes} in a message of a few bytes.
        final ByteBuf in = Unpooled.wrappedBuffer(TestBytes.message("echoBinary", 1, 1, hex("0b 00 01 7f ff ff ff 'ab' 00")));
        try {
            assertThatThrownBy(() -> ThriftCodec.decodeMessage(in, new InteropService.echoBinary_args()))
                    .isInstanceOf(KitexCodecException.class)
                    .hasMessageContaining("Length exceeded max allowed: 2147483647");
        } finally {
            in.release();
        }
    }

    @Test
    void theProtocolIsReusedPerThreadAndLetsGoOfItsBuffer() {
        final ByteBuf first = alloc.buffer();
        final ByteBuf second = alloc.buffer();
        try {
            final ByteBufBinaryProtocol p = ByteBufBinaryProtocol.acquire(first);
            // Taken while the thread's own is in use (a struct encoding another message): a fresh one.
            final ByteBufBinaryProtocol nested = ByteBufBinaryProtocol.acquire(second);
            assertThat(nested).isNotSameAs(p);
            nested.release();
            p.release();
            assertThat(((ByteBufTransport) p.getTransport()).buffer()).isSameAs(Unpooled.EMPTY_BUFFER);
            final ByteBufBinaryProtocol again = ByteBufBinaryProtocol.acquire(second);
            try {
                assertThat(again).isSameAs(p);
                assertThat(((ByteBufTransport) again.getTransport()).buffer()).isSameAs(second);
            } finally {
                again.release();
            }
        } finally {
            first.release();
            second.release();
        }
    }

    @Test
    void protocolOverAByteBufForTProcessorStyleCode() throws Exception {
        final ByteBuf buf = alloc.buffer();
        try {
            final org.apache.thrift.protocol.TProtocol p = ThriftCodec.protocol(buf);
            new Inner(5).setValues(List.of(1L)).write(p);
            final Inner back = new Inner();
            back.read(ThriftCodec.protocol(buf));
            assertThat(back).isEqualTo(new Inner(5).setValues(List.of(1L)));
        } finally {
            buf.release();
        }
    }

    @Test
    void errorTypeNames() {
        assertThat(KitexErrorTypes.name(20)).isEqualTo("UNKNOWN_SERVICE");
        assertThat(KitexErrorTypes.name(21)).isEqualTo("NO_SERVICE_NAME");
        assertThat(KitexErrorTypes.name(6)).isEqualTo("INTERNAL_ERROR");
        assertThat(KitexErrorTypes.name(99)).isEqualTo("TYPE_99");
        // Codes 0..10 are libthrift's.
        assertThat(KitexErrorTypes.UNKNOWN_METHOD).isEqualTo(TApplicationException.UNKNOWN_METHOD);
        assertThat(KitexErrorTypes.UNSUPPORTED_CLIENT_TYPE).isEqualTo(TApplicationException.UNSUPPORTED_CLIENT_TYPE);
    }
}
