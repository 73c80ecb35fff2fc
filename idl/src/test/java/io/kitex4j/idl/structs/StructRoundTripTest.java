package io.kitex4j.idl.structs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.idl.interop.interopConstants;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolException;
import org.apache.thrift.protocol.TProtocolFactory;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TMemoryInputTransport;
import org.junit.jupiter.api.Test;

/**
 * Round-trips of the generated structs through TBinaryProtocol (the protocol Kitex speaks) using only
 * libthrift API that is the same from 0.14 to 0.22 (TBase.read/write, TBinaryProtocol, TMessage,
 * TMemoryBuffer, TMemoryInputTransport). This class runs three times (see idl/README.md): against libthrift 0.17.0 (the
 * default test run), with the 0.17-compiled classes on a libthrift 0.22.0 runtime (surefire execution
 * "libthrift-compat-runtime") and with the structs recompiled against libthrift 0.22.0 (idl/compat-0.22).
 * When the system property kitex4j.expectedLibthrift is set, it first checks that the libthrift jar on
 * the class path really is that version, so a misconfigured run cannot pass vacuously.
 */
public class StructRoundTripTest {

  @Test
  void runsOnTheExpectedLibthrift() {
    assertLibthriftIsTheExpectedOne();
  }

  /**
   * Checks that the libthrift jar on the class path is the one named by the system property
   * kitex4j.expectedLibthrift (when set), so that a misconfigured run cannot pass vacuously.
   */
  public static void assertLibthriftIsTheExpectedOne() {
    String expected = System.getProperty("kitex4j.expectedLibthrift");
    String jar = String.valueOf(TBase.class.getProtectionDomain().getCodeSource().getLocation());
    System.out.println("libthrift on the class path: " + jar);
    if (expected != null && !expected.isEmpty()) {
      assertThat(jar).endsWith("/libthrift-" + expected + ".jar");
    }
  }

  @Test
  void allTypesRoundTripsThroughBinaryProtocol() throws TException {
    AllTypes sample = Samples.allTypes();
    AllTypes copy = roundTrip(sample, AllTypes::new, binary());
    assertThat(copy).isEqualTo(sample);
    assertThat(copy.getStringField()).isEqualTo(sample.getStringField());
    assertThat(copy.getBinaryField()).containsExactly(0, 1, 0x80, 0xff);
    assertThat(copy.getColor()).isEqualTo(Color.INFRARED);
    assertThat(copy.getChoice().getInner().getId()).isEqualTo(10);
    assertThat(copy.getDoubleList()).containsExactlyElementsOf(sample.getDoubleList());
    assertThat(copy.isSetOptBool()).isTrue();
    assertThat(copy.isOptBool()).isFalse();
    // A copy serializes to as many bytes (sets and maps come back as HashSet/HashMap, so the element
    // order, and thus the bytes, may differ).
    assertThat(bytes(copy, binary())).hasSameSizeAs(bytes(sample, binary()));
  }

  @Test
  void allTypesRoundTripsThroughCompactProtocol() throws TException {
    AllTypes sample = Samples.allTypes();
    assertThat(roundTrip(sample, AllTypes::new, new TCompactProtocol.Factory())).isEqualTo(sample);
  }

  @Test
  void minimalAllTypesKeepsDefaultsAndLeavesOptionalsUnset() throws TException {
    AllTypes copy = roundTrip(Samples.minimalAllTypes(), AllTypes::new, binary());
    assertThat(copy).isEqualTo(Samples.minimalAllTypes());
    assertThat(copy.getDefaultInt()).isEqualTo(interopConstants.DEFAULT_INT).isEqualTo(42);
    assertThat(copy.getDefaultString()).isEqualTo(interopConstants.DEFAULT_STRING).isEqualTo("kitex4j");
    assertThat(copy.getDefaultColor()).isEqualTo(Color.GREEN);
    assertThat(copy.getDefaultList()).containsExactly(1, 2, 3);
    assertThat(copy.getDefaultMap()).containsExactlyEntriesOf(Map.of("k", "v"));
    assertThat(copy.isSetPlainString()).isFalse();
    assertThat(copy.isSetOptString()).isFalse();
    assertThat(copy.isSetOptI32()).isFalse();
    assertThat(copy.isSetChoice()).isFalse();
    assertThat(copy.getOptDoubleWithDefault()).isEqualTo(2.5);
    assertThat(copy.isOptBoolWithDefault()).isTrue();
  }

  @Test
  void everyUnionMemberRoundTrips() throws TException {
    for (Choice choice : Samples.choices()) {
      Choice copy = roundTrip(choice, Choice::new, binary());
      assertThat(copy).isEqualTo(choice);
      assertThat(copy.getSetField()).isEqualTo(choice.getSetField());
    }
  }

  @Test
  void callInfoAndExceptionsRoundTrip() throws TException {
    CallInfo info = Samples.callInfo();
    assertThat(roundTrip(info, CallInfo::new, binary())).isEqualTo(info);
    CallInfo empty = roundTrip(new CallInfo(Map.of(), Map.of()), CallInfo::new, binary());
    assertThat(empty.getTimeoutMillis()).isEqualTo(-1);
    assertThat(empty.getDeadlineRemainingMillis()).isEqualTo(-1);

    InvalidArgument invalid = new InvalidArgument(400, "bad argument");
    InvalidArgument invalidCopy = roundTrip(invalid, InvalidArgument::new, binary());
    assertThat((Object) invalidCopy).isEqualTo(invalid);
    assertThat(invalidCopy.getMessage()).isEqualTo("bad argument");
    NotFound notFound = new NotFound("key", "no such key");
    assertThat((Object) roundTrip(notFound, NotFound::new, binary())).isEqualTo(notFound);
  }

  @Test
  void echoBenchmarkStructsRoundTrip() throws TException {
    ComplexRequest request = Samples.complexRequest();
    assertThat(roundTrip(request, ComplexRequest::new, binary())).isEqualTo(request);
    Request simple = new Request("echo", "hello");
    assertThat(roundTrip(simple, Request::new, binary())).isEqualTo(simple);
  }

  /** Bytes written by hand from the Thrift binary protocol spec: the wire format is pinned, not just symmetric. */
  @Test
  void binaryEncodingMatchesTheSpecByteForByte() throws TException {
    TMemoryBuffer buffer = new TMemoryBuffer(64);
    TProtocol protocol = new TBinaryProtocol(buffer); // strict write: the version word 0x80010001
    protocol.writeMessageBegin(new TMessage("Echo", TMessageType.CALL, 7));
    new Request("a", "bc").write(protocol);
    protocol.writeMessageEnd();
    String expected = "80010001" + "00000004" + "4563686f" + "00000007" // version|CALL, "Echo", seqId
        + "0b" + "0001" + "00000001" + "61"                                // 1: string "a"
        + "0b" + "0002" + "00000002" + "6263"                              // 2: string "bc"
        + "00";                                                            // STOP
    assertThat(HexFormat.of().formatHex(Arrays.copyOf(buffer.getArray(), buffer.length()))).isEqualTo(expected);

    TMemoryInputTransport in = new TMemoryInputTransport(HexFormat.of().parseHex(expected));
    TProtocol reader = new TBinaryProtocol(in);
    TMessage message = reader.readMessageBegin();
    assertThat(message.name).isEqualTo("Echo");
    assertThat(message.type).isEqualTo(TMessageType.CALL);
    assertThat(message.seqid).isEqualTo(7);
    Request read = new Request();
    read.read(reader);
    reader.readMessageEnd();
    assertThat(in.getBytesRemainingInBuffer()).isZero();
    assertThat(read).isEqualTo(new Request("a", "bc"));
  }

  @Test
  void unknownFieldsAreSkipped() throws TException {
    // ComplexRequest shares fields 1 and 2 with Response; fields 3..7 (map, list, set, struct, string)
    // are unknown to Response and must be skipped.
    Response response = fromBytes(bytes(Samples.complexRequest(), binary()), Response::new, binary());
    assertThat(response).isEqualTo(new Response("action", "msg"));
  }

  @Test
  void missingRequiredFieldIsRejectedOnRead() throws TException {
    // field 1 only, then STOP: required field 2 (msg) is missing
    byte[] wire = HexFormat.of().parseHex("0b" + "0001" + "00000001" + "61" + "00");
    assertThatThrownBy(() -> fromBytes(wire, Request::new, binary()))
        .isInstanceOf(TProtocolException.class)
        .hasMessageContaining("msg");
  }

  @Test
  void missingRequiredFieldIsRejectedOnWrite() {
    assertThatThrownBy(() -> bytes(new Request().setAction("a"), binary()))
        .isInstanceOf(TProtocolException.class)
        .hasMessageContaining("msg");
  }

  @Test
  void listOfAllTypesRoundTripsInAMessage() throws TException {
    List<AllTypes> values = List.of(Samples.allTypes(), Samples.minimalAllTypes());
    TMemoryBuffer buffer = new TMemoryBuffer(1024);
    TProtocol out = new TBinaryProtocol(buffer);
    out.writeMessageBegin(new TMessage("echoAllList", TMessageType.REPLY, Integer.MAX_VALUE));
    for (AllTypes value : values) {
      value.write(out);
    }
    out.writeMessageEnd();
    TMemoryInputTransport transport =
        new TMemoryInputTransport(Arrays.copyOf(buffer.getArray(), buffer.length()));
    TProtocol in = new TBinaryProtocol(transport);
    TMessage message = in.readMessageBegin();
    assertThat(message.type).isEqualTo(TMessageType.REPLY);
    assertThat(message.seqid).isEqualTo(Integer.MAX_VALUE);
    for (AllTypes value : values) {
      AllTypes read = new AllTypes();
      read.read(in);
      assertThat(read).isEqualTo(value);
    }
    in.readMessageEnd();
    assertThat(transport.getBytesRemainingInBuffer()).isZero();
  }

  private static TProtocolFactory binary() {
    return new TBinaryProtocol.Factory(true, true);
  }

  static byte[] bytes(TBase<?, ?> value, TProtocolFactory factory) throws TException {
    TMemoryBuffer buffer = new TMemoryBuffer(256);
    value.write(factory.getProtocol(buffer));
    return Arrays.copyOf(buffer.getArray(), buffer.length());
  }

  static <T extends TBase<?, ?>> T fromBytes(byte[] bytes, Supplier<T> empty, TProtocolFactory factory)
      throws TException {
    TMemoryInputTransport in = new TMemoryInputTransport(bytes);
    T value = empty.get();
    value.read(factory.getProtocol(in));
    assertThat(in.getBytesRemainingInBuffer()).as("bytes left unread").isZero();
    return value;
  }

  static <T extends TBase<?, ?>> T roundTrip(T value, Supplier<T> empty, TProtocolFactory factory)
      throws TException {
    return fromBytes(bytes(value, factory), empty, factory);
  }
}
