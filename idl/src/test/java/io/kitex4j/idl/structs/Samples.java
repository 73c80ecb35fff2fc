package io.kitex4j.idl.structs;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.Message;
import io.kitex4j.idl.echo.SubMessage;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sample values of the generated structs with every field set, for round-trip tests. Uses only the
 * generated struct classes (no service classes), so it compiles against every supported libthrift.
 */
public final class Samples {
  private Samples() {}

  public static Inner inner(int id) {
    return new Inner(id).setName("inner-" + id).setValues(List.of((long) id, -1L, Long.MAX_VALUE));
  }

  /** An AllTypes with every field, required, optional and default, set to a non-default value. */
  public static AllTypes allTypes() {
    Map<String, List<Set<Short>>> nested = new LinkedHashMap<>();
    nested.put("a", List.of(new LinkedHashSet<>(List.of((short) 1, (short) -2)), Set.of()));
    nested.put("empty", List.of());
    Map<Color, String> colorNames = new LinkedHashMap<>();
    for (Color c : Color.values()) {
      colorNames.put(c, c.name().toLowerCase());
    }
    Map<Integer, Inner> i32ToInner = new LinkedHashMap<>();
    i32ToInner.put(-1, inner(-1));
    i32ToInner.put(Integer.MAX_VALUE, inner(7));
    Map<String, Long> stringToI64 = new LinkedHashMap<>();
    stringToI64.put("min", Long.MIN_VALUE);
    stringToI64.put("zero", 0L);
    stringToI64.put("unicode \u4e2d\u6587 \uD83D\uDE00", 1L);

    return new AllTypes()
        .setBoolField(true)
        .setByteField(Byte.MIN_VALUE)
        .setI16Field(Short.MAX_VALUE)
        .setI32Field(Integer.MIN_VALUE)
        .setI64Field(Long.MAX_VALUE)
        .setDoubleField(-1.5e300)
        .setStringField("h\u00e9llo \u4e16\u754c \uD83D\uDE80")
        .setBinaryField(new byte[] {0, 1, (byte) 0x80, (byte) 0xff})
        .setStringList(new ArrayList<>(List.of("x", "", "y")))
        .setI32Set(new LinkedHashSet<>(List.of(1, 2, Integer.MIN_VALUE)))
        .setStringToI64(stringToI64)
        .setInnerList(new ArrayList<>(List.of(inner(1), inner(2))))
        .setInnerSet(new LinkedHashSet<>(List.of(inner(3), inner(4))))
        .setI32ToInner(i32ToInner)
        .setNestedContainers(nested)
        .setBinaryList(new ArrayList<>(List.of(
            java.nio.ByteBuffer.wrap(new byte[0]),
            java.nio.ByteBuffer.wrap("bin".getBytes(StandardCharsets.UTF_8)))))
        .setColorNames(colorNames)
        .setBoolList(new ArrayList<>(List.of(true, false, true)))
        .setDoubleList(new ArrayList<>(List.of(0.0, -0.0, Double.MAX_VALUE, Double.MIN_VALUE,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)))
        .setStringSet(new LinkedHashSet<>(List.of("s1", "s2")))
        .setInner(inner(9))
        .setColor(Color.INFRARED)
        .setChoice(Choice.inner(inner(10)))
        .setOptBool(false)
        .setOptByte((byte) 127)
        .setOptI16(Short.MIN_VALUE)
        .setOptI32(0)
        .setOptI64(-1L)
        .setOptDouble(Math.PI)
        .setOptString("")
        .setOptBinary(new byte[0])
        .setDefaultInt(-42)
        .setDefaultString("not the default")
        .setDefaultColor(Color.RED)
        .setDefaultList(new ArrayList<>(List.of(9)))
        .setDefaultMap(new LinkedHashMap<>(Map.of("k2", "v2")))
        .setPlainString("plain")
        .setOptDoubleWithDefault(-2.5)
        .setOptBoolWithDefault(false);
  }

  /** An AllTypes with only the required fields set. */
  public static AllTypes minimalAllTypes() {
    return new AllTypes()
        .setBoolField(false)
        .setByteField((byte) 0)
        .setI16Field((short) 0)
        .setI32Field(0)
        .setI64Field(0L)
        .setDoubleField(0.0)
        .setStringField("")
        .setBinaryField(new byte[0]);
  }

  /** An AllTypes with the required fields 1..8 set to the given values (what echoFields returns). */
  public static AllTypes fields(boolean b, byte y, short s, int i, long l, double d, String str,
      java.nio.ByteBuffer bin) {
    return new AllTypes()
        .setBoolField(b).setByteField(y).setI16Field(s).setI32Field(i)
        .setI64Field(l).setDoubleField(d).setStringField(str).setBinaryField(bin);
  }

  public static List<Choice> choices() {
    return List.of(
        Choice.number(-7),
        Choice.text("text"),
        Choice.inner(inner(5)),
        Choice.blob(new byte[] {1, 2, 3}),
        Choice.words(new ArrayList<>(List.of("a", "b"))));
  }

  public static CallInfo callInfo() {
    Map<Integer, String> ints = new LinkedHashMap<>();
    ints.put(3, "caller");
    ints.put(12, "1000");
    return new CallInfo(new LinkedHashMap<>(Map.of("t", "1")), new LinkedHashMap<>(Map.of("p", "2")))
        .setCallerService("caller")
        .setCallerMethod("callerMethod")
        .setCalleeService("callee")
        .setCalleeMethod("callInfo")
        .setMethod("callInfo")
        .setTimeoutMillis(1000)
        .setDeadlineRemainingMillis(998)
        .setTransport("TTHEADER_FRAMED")
        .setSeqId(17)
        .setRemoteAddress("127.0.0.1:12345")
        .setHeaderStrings(new LinkedHashMap<>(Map.of("RPC_TRANSIT_t", "1", "RPC_PERSIST_p", "2")))
        .setHeaderInts(ints)
        .setServerName("kitex4j");
  }

  public static ComplexRequest complexRequest() {
    Map<String, SubMessage> msgMap = new LinkedHashMap<>();
    msgMap.put("one", new SubMessage().setId(1).setValue("v1"));
    msgMap.put("two", new SubMessage().setId(2));
    List<SubMessage> subMsgs = new ArrayList<>(List.of(new SubMessage().setValue("only value"), new SubMessage()));
    Set<Message> msgSet = new LinkedHashSet<>(List.of(
        new Message().setId(10).setValue("m10").setSubMessages(new ArrayList<>(List.of(new SubMessage().setId(11)))),
        new Message().setId(20)));
    return new ComplexRequest("action", "msg", msgMap, subMsgs, new Message().setId(99).setValue("flag"))
        .setMsgSet(msgSet)
        .setMockCost("0");
  }
}
