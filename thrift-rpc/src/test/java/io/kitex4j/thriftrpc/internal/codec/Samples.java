package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Thrift values for codec tests, from the shared interop IDL. */
final class Samples {

    private Samples() {}

    /** An {@link AllTypes} with every field set: every Thrift type, nested containers, a union, binaries. */
    static AllTypes allTypes() {
        final Inner inner = new Inner(7).setName("inner ü").setValues(List.of(1L, -2L, Long.MAX_VALUE));
        final Map<String, List<Set<Short>>> nested = new LinkedHashMap<>();
        nested.put("a", List.of(new LinkedHashSet<>(List.of((short) 1, (short) -2)), Set.of()));
        nested.put("", List.of());
        final Map<Color, String> colors = new LinkedHashMap<>();
        colors.put(Color.RED, "red");
        colors.put(Color.INFRARED, "infrared");
        return new AllTypes()
                .setBoolField(true)
                .setByteField((byte) -7)
                .setI16Field((short) 30000)
                .setI32Field(-123456789)
                .setI64Field(1L << 40)
                .setDoubleField(-2.5e-300)
                .setStringField("héllo, 世界")
                .setBinaryField(new byte[] {0, 1, (byte) 0xFF, (byte) 0x80})
                .setStringList(List.of("x", "", "zz"))
                .setI32Set(new LinkedHashSet<>(List.of(1, 2, 3)))
                .setStringToI64(new LinkedHashMap<>(Map.of("k", 9L)))
                .setInnerList(List.of(inner, new Inner(8)))
                .setInnerSet(new LinkedHashSet<>(List.of(new Inner(9))))
                .setI32ToInner(new LinkedHashMap<>(Map.of(1, inner)))
                .setNestedContainers(nested)
                .setBinaryList(List.of(ByteBuffer.wrap(new byte[] {1, 2}), ByteBuffer.wrap(new byte[0])))
                .setColorNames(colors)
                .setBoolList(List.of(true, false, true))
                .setDoubleList(List.of(1.0, Double.NaN, Double.NEGATIVE_INFINITY))
                .setStringSet(new LinkedHashSet<>(List.of("s")))
                .setInner(inner)
                .setColor(Color.BLUE)
                .setChoice(Choice.inner(new Inner(3).setValues(List.of())))
                .setOptBool(false)
                .setOptByte((byte) 1)
                .setOptI16((short) -1)
                .setOptI32(Integer.MIN_VALUE)
                .setOptI64(Long.MIN_VALUE)
                .setOptDouble(0.1)
                .setOptString("opt")
                .setOptBinary(new byte[100])
                .setDefaultInt(43)
                .setPlainString("plain");
    }

    /** An {@code echoAll} CALL carrying {@link #allTypes()}, as a new buffer. */
    static ByteBuf echoAllCall(int seqId) {
        return ThriftCodec.encodeMessage(ByteBufAllocator.DEFAULT, "echoAll", ThriftMessageHeader.CALL, seqId,
                                         new InteropService.echoAll_args(allTypes()));
    }

    /** {@link #echoAllCall} as bytes. */
    static byte[] echoAllCallBytes(int seqId) {
        final ByteBuf b = echoAllCall(seqId);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** An {@code echoString} CALL as bytes. */
    static byte[] echoStringCall(int seqId, String value) {
        return TestBytes.message("echoString", ThriftMessageHeader.CALL, seqId, TestBytes.stringField(1, value));
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
