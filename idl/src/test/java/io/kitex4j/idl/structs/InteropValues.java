package io.kitex4j.idl.structs;

import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Values at the edges of every Thrift type, shared by the Java-to-Java and the Java-Go matrices. */
public final class InteropValues {

    private InteropValues() {}

    public static final List<String> STRINGS = List.of("", "a", "héllo wörld", "中文字符", "emoji \uD83D\uDE80\uD83C\uDF89",
            "nul\u0000inside", "x".repeat(70_000));

    public static final List<Long> I64S = List.of(0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE,
            (long) Integer.MIN_VALUE - 1, (long) Integer.MAX_VALUE + 1);

    public static final List<Double> DOUBLES = List.of(0.0d, -0.0d, 1.5d, -2.75d, Double.MIN_VALUE, Double.MAX_VALUE,
            -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN);

    public static byte[] allBytes() {
        final byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    public static Inner inner(int id) {
        return new Inner(id).setName("inner-" + id).setValues(List.of((long) id, Long.MIN_VALUE, Long.MAX_VALUE));
    }

    /** An AllTypes with the required fields set and the others at their defaults. */
    public static AllTypes required(boolean b, byte i8, short i16, int i32, long i64, double d, String s, ByteBuffer bin) {
        return new AllTypes().setBoolField(b).setByteField(i8).setI16Field(i16).setI32Field(i32).setI64Field(i64)
                .setDoubleField(d).setStringField(s).setBinaryField(bin);
    }

    /** Only the required fields, at their minimums. */
    public static AllTypes minimal() {
        return required(false, Byte.MIN_VALUE, Short.MIN_VALUE, Integer.MIN_VALUE, Long.MIN_VALUE,
                -Double.MAX_VALUE, "", ByteBuffer.wrap(new byte[0]));
    }

    /** Every field set, at their maximums and with nested, empty and large containers. */
    public static AllTypes full() {
        final List<Inner> inners = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            inners.add(inner(i));
        }
        final AllTypes t = required(true, Byte.MAX_VALUE, Short.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE,
                Double.MAX_VALUE, "中文 \uD83D\uDE80", ByteBuffer.wrap(allBytes()));
        t.setStringList(List.of("", "a", "b"));
        t.setI32Set(Set.of(Integer.MIN_VALUE, 0, Integer.MAX_VALUE));
        t.setStringToI64(Map.of("min", Long.MIN_VALUE, "max", Long.MAX_VALUE, "", 0L));
        t.setInnerList(inners);
        t.setInnerSet(Set.of(inner(1), new Inner(2)));
        t.setI32ToInner(Map.of(-1, inner(-1), 0, new Inner(0)));
        t.setNestedContainers(Map.of("a", List.of(Set.of((short) 1, Short.MIN_VALUE), Set.of()), "empty", List.of()));
        t.setBinaryList(List.of(ByteBuffer.wrap(new byte[0]), ByteBuffer.wrap(allBytes())));
        t.setColorNames(Map.of(Color.RED, "red", Color.INFRARED, "infrared", Color.UNKNOWN, ""));
        t.setBoolList(List.of(true, false, true));
        t.setDoubleList(List.of(Double.MIN_VALUE, -0.5d, Double.NEGATIVE_INFINITY));
        t.setStringSet(Set.of("x", "y", ""));
        t.setInner(inner(99));
        t.setColor(Color.INFRARED);
        t.setChoice(Choice.words(List.of("w1", "w2")));
        t.setOptBool(false);
        t.setOptByte((byte) 0);
        t.setOptI16((short) -1);
        t.setOptI32(-1);
        t.setOptI64(-1L);
        t.setOptDouble(0.0d);
        t.setOptString("");
        t.setOptBinary(new byte[0]);
        t.setDefaultInt(Integer.MIN_VALUE);
        t.setDefaultString("");
        t.setDefaultColor(Color.BLUE);
        t.setDefaultList(List.of());
        t.setDefaultMap(Map.of());
        t.setPlainString("plain");
        t.setOptDoubleWithDefault(Double.NEGATIVE_INFINITY);
        t.setOptBoolWithDefault(false);
        return t;
    }

    public static List<Choice> choices() {
        return List.of(Choice.number(Integer.MIN_VALUE), Choice.text(""), Choice.text("文字"), Choice.inner(inner(5)),
                Choice.blob(allBytes()), Choice.blob(new byte[0]), Choice.words(List.of()),
                Choice.words(List.of("a", "", "c")));
    }
}
