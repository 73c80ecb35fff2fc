package io.kitex4j.idl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.idl.structs.Samples;
import io.kitex4j.idl.structs.StructRoundTripTest;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TMemoryBuffer;
import org.junit.jupiter.api.Test;

/**
 * The generated Client and Processor of both services, wired back to back through in-memory buffers
 * and TBinaryProtocol: a sanity check of the generated service code (argument/result structs, declared
 * and undeclared exceptions, void and oneway methods). Runs against libthrift 0.17.0 (what the classes are
 * compiled for) and, in the surefire execution "libthrift-compat-runtime", with the same 0.17-compiled
 * classes on a libthrift 0.22.0 runtime.
 */
class ServiceRoundTripTest {

  /** A handler of the interop service that answers from its arguments. */
  static final class Handler implements InteropService.Iface {
    final Map<String, String> oneway = new ConcurrentHashMap<>();

    @Override public void ping() {}
    @Override public AllTypes echoAll(AllTypes value) { return value; }
    @Override public List<AllTypes> echoAllList(List<AllTypes> values) { return values; }
    @Override public Choice echoChoice(Choice value) { return value; }
    @Override public Color echoColor(Color value) { return value; }
    @Override public String echoString(String value) { return value; }
    @Override public long echoI64(long value) { return value; }
    @Override public double echoDouble(double value) { return value; }
    @Override public boolean echoBool(boolean value) { return value; }
    @Override public Map<String, List<Inner>> echoContainers(Map<String, List<Inner>> value) { return value; }

    @Override
    public AllTypes echoFields(boolean b, byte y, short s, int i, long l, double d, String str, ByteBuffer bin) {
      return Samples.fields(b, y, s, i, l, d, str, bin);
    }

    @Override public ByteBuffer echoBinary(ByteBuffer data) { return data; }

    @Override
    public ByteBuffer makeBinary(int size) {
      byte[] bytes = new byte[size];
      for (int i = 0; i < size; i++) {
        bytes[i] = (byte) i;
      }
      return ByteBuffer.wrap(bytes);
    }

    @Override public CallInfo callInfo() { return Samples.callInfo(); }
    @Override public CallInfo callInfoVia(String target) { return Samples.callInfo().setServerName(target); }
    @Override public void sleep(long millis) {}

    @Override
    public String throwDeclared(int kind, int code, String message) throws InvalidArgument, NotFound {
      switch (kind) {
        case 1: throw new InvalidArgument(code, message);
        case 2: throw new NotFound(message, message);
        default: return message;
      }
    }

    @Override public String bizError(int code, String message, Map<String, String> extra) { return message; }

    @Override
    public void fail(String message) {
      throw new IllegalStateException(message);
    }

    @Override public void onewayPut(String key, String value) { oneway.put(key, value); }
    @Override public String onewayGet(String key) { return oneway.getOrDefault(key, ""); }
  }

  private final Handler handler = new Handler();
  private final InteropService.Processor<Handler> processor = new InteropService.Processor<>(handler);
  private TMemoryBuffer requests;
  private TMemoryBuffer responses;
  private InteropService.Client client;

  ServiceRoundTripTest() throws TException {
    buffers(64 * 1024);
  }

  /**
   * Fresh request and response buffers. Note: since libthrift 0.14 the size given to TMemoryBuffer is
   * also the most it lets be read in total (TEndpointTransport's known message size), so it must cover
   * every response read from it, not just the initial capacity.
   */
  private void buffers(int size) throws TException {
    requests = new TMemoryBuffer(size);
    responses = new TMemoryBuffer(size);
    client = new InteropService.Client(new TBinaryProtocol(responses), new TBinaryProtocol(requests));
  }

  /** Runs the request the client wrote through the processor. */
  private void serve() throws TException {
    processor.process(new TBinaryProtocol(requests), new TBinaryProtocol(responses));
  }

  @Test
  void runsOnTheExpectedLibthrift() {
    StructRoundTripTest.assertLibthriftIsTheExpectedOne();
  }

  @Test
  void echoMethods() throws TException {
    AllTypes all = Samples.allTypes();
    client.send_echoAll(all);
    serve();
    assertThat(client.recv_echoAll()).isEqualTo(all);

    client.send_echoAllList(List.of(all, Samples.minimalAllTypes()));
    serve();
    assertThat(client.recv_echoAllList()).containsExactly(all, Samples.minimalAllTypes());

    for (Choice choice : Samples.choices()) {
      client.send_echoChoice(choice);
      serve();
      assertThat(client.recv_echoChoice()).isEqualTo(choice);
    }

    client.send_echoFields(true, (byte) -1, (short) 2, 3, 4L, 5.5, "six", ByteBuffer.wrap(new byte[] {7}));
    serve();
    assertThat(client.recv_echoFields())
        .isEqualTo(Samples.fields(true, (byte) -1, (short) 2, 3, 4L, 5.5, "six", ByteBuffer.wrap(new byte[] {7})));

    buffers(2 << 20);
    client.send_makeBinary(1 << 20);
    serve();
    ByteBuffer big = client.recv_makeBinary();
    assertThat(big.remaining()).isEqualTo(1 << 20);
    assertThat(big.get(big.position() + 257)).isEqualTo((byte) 1);
  }

  @Test
  void voidAndOnewayMethods() throws TException {
    client.send_ping();
    serve();
    client.recv_ping();

    int before = responses.length();
    client.send_onewayPut("k", "v");
    serve();
    assertThat(responses.length()).as("a oneway call writes no response").isEqualTo(before);
    assertThat(handler.oneway).containsEntry("k", "v");
  }

  @Test
  void declaredExceptions() throws TException {
    client.send_throwDeclared(1, 400, "bad");
    serve();
    assertThatThrownBy(client::recv_throwDeclared).isEqualTo(new InvalidArgument(400, "bad"));

    client.send_throwDeclared(2, 0, "key");
    serve();
    assertThatThrownBy(client::recv_throwDeclared).isEqualTo(new NotFound("key", "key"));

    client.send_throwDeclared(0, 0, "fine");
    serve();
    assertThat(client.recv_throwDeclared()).isEqualTo("fine");
  }

  @Test
  void undeclaredErrorBecomesApplicationException() throws TException {
    client.send_fail("boom");
    serve();
    assertThatThrownBy(client::recv_fail)
        .isInstanceOf(TApplicationException.class)
        .satisfies(e -> assertThat(((TApplicationException) e).getType())
            .isEqualTo(TApplicationException.INTERNAL_ERROR));
  }

  @Test
  void echoServerOfTheKitexBenchmark() throws TException {
    EchoServer.Iface echo = new EchoServer.Iface() {
      @Override public Response Echo(Request req) { return new Response(req.getAction(), req.getMsg()); }

      @Override
      public ComplexResponse EchoComplex(ComplexRequest req) {
        return new ComplexResponse(req.getAction(), req.getMsg(), req.getMsgMap(), req.getSubMsgs(), req.getFlagMsg())
            .setMsgSet(req.getMsgSet());
      }
    };
    EchoServer.Client echoClient = new EchoServer.Client(new TBinaryProtocol(responses), new TBinaryProtocol(requests));
    EchoServer.Processor<EchoServer.Iface> echoProcessor = new EchoServer.Processor<>(echo);

    echoClient.send_Echo(new Request("echo", "hi"));
    echoProcessor.process(new TBinaryProtocol(requests), new TBinaryProtocol(responses));
    assertThat(echoClient.recv_Echo()).isEqualTo(new Response("echo", "hi"));

    ComplexRequest complex = Samples.complexRequest();
    echoClient.send_EchoComplex(complex);
    echoProcessor.process(new TBinaryProtocol(requests), new TBinaryProtocol(responses));
    ComplexResponse response = echoClient.recv_EchoComplex();
    assertThat(response.getMsgMap()).isEqualTo(complex.getMsgMap());
    assertThat(response.getMsgSet()).isEqualTo(complex.getMsgSet());
    assertThat(response.getFlagMsg()).isEqualTo(complex.getFlagMsg());
  }
}
