package io.kitex4j.thriftrpc.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.idl.structs.InteropValues;
import io.kitex4j.thriftrpc.client.BackwardValues;
import io.kitex4j.thriftrpc.client.CallOptions;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;

/**
 * What a kitex4j client may expect of any server of {@code interop.thrift} that behaves as {@link InteropHandler}
 * (and the Go peer's handler) does, in every transport: every method and type, metainfo both ways, caller and
 * callee as the server saw them, every kind of error, oneway and timeouts. A subclass wires the peers: the
 * client for each {@link Mode} it supports ({@link #modes()}) and the names the server reports; where its server
 * legitimately differs it says so by overriding {@link #echoed(AllTypes)} or
 * {@link #assertRawHeaderAsTheServerSawIt(Mode, CallInfo)}.
 *
 * <p>The tests are parameterised by the instance method {@link #modes()}, hence one test instance per class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class JavaClientContract {

    /** How the client talks to the server. */
    public enum Mode {
        BUFFERED(Transport.BUFFERED, 0),
        FRAMED(Transport.FRAMED, 0),
        TTHEADER(Transport.TTHEADER, 0),
        TTHEADER_FRAMED(Transport.TTHEADER_FRAMED, 0),
        MULTIPLEXED(Transport.TTHEADER_FRAMED, 2);

        /** The client's transport. */
        public final Transport transport;
        /** The client's {@code multiplexed(n)}; 0 for a connection pool. */
        public final int muxConnections;

        Mode(Transport transport, int muxConnections) {
            this.transport = transport;
            this.muxConnections = muxConnections;
        }

        /** Whether the transport carries a TTHeader (and so metainfo, caller, timeout and biz status). */
        public boolean ttheader() {
            return transport.hasTTHeader();
        }
    }

    /** The modes this subclass's server is called in: every test's parameter. */
    protected abstract Stream<Mode> modes();

    /** The client for {@code mode}, configured with {@code fromService(}{@link #clientService()}{@code )}. */
    protected abstract KitexClient client(Mode mode);

    /** What the server reports as its name ({@code CallInfo.serverName}). */
    protected abstract String serverName();

    /** The client's own service name ({@code fromService}). */
    protected abstract String clientService();

    /** The service the client calls, as the server reports the callee. */
    protected abstract String calleeService();

    /** {@code host:port} of a kitex4j server named {@code "java-b"}, for {@code callInfoVia}. */
    protected abstract String onwardTarget();

    /** The service name the server gives itself when it calls onwards. */
    protected abstract String onwardCallerService();

    /** What the server sends back for an {@code echoAll} (or {@code echoFields}) of {@code sent}: by default the same. */
    protected AllTypes echoed(AllTypes sent) {
        return sent;
    }

    /** Checks what only some servers report in {@code callInfo}: the raw TTHeader. */
    protected abstract void assertRawHeaderAsTheServerSawIt(Mode mode, CallInfo info);

    /** The blocking stub of {@code mode}'s client. */
    protected InteropService.Iface stub(Mode mode) {
        return client(mode).stub(InteropService.Iface.class);
    }

    // ------------------------------------------------------------------ types

    @ParameterizedTest
    @MethodSource("modes")
    void primitivesAndStrings(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        s.ping();
        for (String v : InteropValues.STRINGS) {
            assertThat(s.echoString(v)).isEqualTo(v);
        }
        for (long v : InteropValues.I64S) {
            assertThat(s.echoI64(v)).isEqualTo(v);
        }
        for (double v : InteropValues.DOUBLES) {
            // Double.equals compares bits: NaN equals NaN, -0.0 differs from 0.0.
            assertThat(Double.valueOf(s.echoDouble(v))).isEqualTo(Double.valueOf(v));
        }
        assertThat(s.echoBool(true)).isTrue();
        assertThat(s.echoBool(false)).isFalse();
        for (Color c : Color.values()) {
            assertThat(s.echoColor(c)).isEqualTo(c);
        }
    }

    @ParameterizedTest
    @MethodSource("modes")
    void structsUnionsAndContainers(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        assertThat(s.echoAll(InteropValues.minimal())).isEqualTo(echoed(InteropValues.minimal()));
        assertThat(s.echoAll(InteropValues.full())).isEqualTo(echoed(InteropValues.full()));
        // Unset default-requiredness fields are not written; the receiver keeps (Go: fills in) its IDL defaults.
        assertThat(s.echoAll(new AllTypes(InteropValues.full()).setDefaultList(null).setDefaultMap(null)))
                .isEqualTo(echoed(new AllTypes(InteropValues.full()).setDefaultList(List.of(1, 2, 3))
                        .setDefaultMap(Map.of("k", "v"))));
        assertThat(s.echoAllList(List.of())).isEmpty();
        assertThat(s.echoAllList(List.of(InteropValues.minimal(), InteropValues.full())))
                .containsExactly(echoed(InteropValues.minimal()), echoed(InteropValues.full()));
        for (Choice c : InteropValues.choices()) {
            assertThat(s.echoChoice(c)).isEqualTo(c);
        }
        assertThat(s.echoContainers(Map.of())).isEmpty();
        final Map<String, List<Inner>> nested = Map.of("", List.of(), "k", List.of(InteropValues.inner(1),
                new Inner(Integer.MIN_VALUE)));
        assertThat(s.echoContainers(nested)).isEqualTo(nested);
        final AllTypes fields = s.echoFields(true, Byte.MIN_VALUE, Short.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE,
                Double.NEGATIVE_INFINITY, "ünïcödé", ByteBuffer.wrap(InteropValues.allBytes()));
        assertThat(fields).isEqualTo(echoed(InteropValues.required(true, Byte.MIN_VALUE, Short.MAX_VALUE,
                Integer.MIN_VALUE, Long.MAX_VALUE, Double.NEGATIVE_INFINITY, "ünïcödé",
                ByteBuffer.wrap(InteropValues.allBytes()))));
    }

    @ParameterizedTest
    @MethodSource("modes")
    void binariesUpTo4MiB(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        assertThat(s.echoBinary(ByteBuffer.wrap(new byte[0]))).isEqualTo(ByteBuffer.wrap(new byte[0]));
        assertThat(s.echoBinary(ByteBuffer.wrap(InteropValues.allBytes())))
                .isEqualTo(ByteBuffer.wrap(InteropValues.allBytes()));
        final byte[] big = new byte[4 * 1024 * 1024];
        new Random(42).nextBytes(big);
        assertThat(s.echoBinary(ByteBuffer.wrap(big))).isEqualTo(ByteBuffer.wrap(big));
        final ByteBuffer made = s.makeBinary(4 * 1024 * 1024);
        assertThat(made.remaining()).isEqualTo(4 * 1024 * 1024);
        assertThat(made.get(made.position() + 1_000_001)).isEqualTo((byte) (1_000_001 % 256));
    }

    // ------------------------------------------------------------------ meta

    @ParameterizedTest
    @MethodSource("modes")
    void metainfoBothWays(Mode mode) throws Exception {
        final CallInfo info;
        final Map<String, String> backward;
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2")
                .withTransient(InteropHandler.SEND_BACK_PREFIX + "bk", "bv").attach();
             BackwardValues captured = BackwardValues.capture()) {
            info = stub(mode).callInfo();
            backward = captured.asMap();
        }
        assertThat(info.getServerName()).isEqualTo(serverName());
        if (mode.ttheader()) {
            assertThat(info.getTransients()).isEqualTo(Map.of("t", "1", InteropHandler.SEND_BACK_PREFIX + "bk", "bv"));
            assertThat(info.getPersistents()).isEqualTo(Map.of("p", "2"));
            assertThat(backward).containsEntry("bk", "bv");
        } else {
            // Like Kitex: without TTHeader there is nowhere to put them.
            assertThat(info.getTransients()).isEmpty();
            assertThat(info.getPersistents()).isEmpty();
            assertThat(backward).isEmpty();
        }

        // The same, asynchronously with explicit options.
        final BackwardValues explicit = BackwardValues.create();
        final CallInfo async = client(mode).async(InteropService.Iface.class, CallOptions.builder()
                        .metainfo(Metainfo.empty().withPersistent("only", "explicit")
                                .withTransient(InteropHandler.SEND_BACK_PREFIX + "ek", "ev"))
                        .backwardValues(explicit).build())
                .call(InteropService.Iface::callInfo).get(10, TimeUnit.SECONDS);
        if (mode.ttheader()) {
            assertThat(async.getPersistents()).isEqualTo(Map.of("only", "explicit"));
            assertThat(async.getTransients()).isEqualTo(Map.of(InteropHandler.SEND_BACK_PREFIX + "ek", "ev"));
            assertThat(explicit.asMap()).isEqualTo(Map.of("ek", "ev"));
        } else {
            assertThat(explicit.asMap()).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("modes")
    void callerCalleeTimeoutAndTransportAsTheServerSawThem(Mode mode) throws Exception {
        final CallInfo info = client(mode).stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(3000)).build()).callInfo();
        assertThat(info.getTransport()).isEqualTo(mode.transport.name());
        assertThat(info.getMethod()).isEqualTo("callInfo");
        if (mode.ttheader()) {
            assertThat(info.getCallerService()).isEqualTo(clientService());
            assertThat(info.getCallerMethod()).isEmpty();
            assertThat(info.getCalleeService()).isEqualTo(calleeService());
            assertThat(info.getCalleeMethod()).isEqualTo("callInfo");
            assertThat(info.getTimeoutMillis()).isEqualTo(3000);
        } else {
            assertThat(info.getCallerService()).isEmpty();
            assertThat(info.getTimeoutMillis()).isEqualTo(-1);
        }
        assertRawHeaderAsTheServerSawIt(mode, info);
    }

    @ParameterizedTest
    @MethodSource("modes")
    void aServerCallingOnForwardsPersistentsOnlyAndNamesItsMethod(Mode mode) throws Exception {
        final CallInfo info;
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2").attach()) {
            info = stub(mode).callInfoVia(onwardTarget());
        }
        // The server calls on over TTHeader whatever this client used; it only has metainfo to forward if it got
        // some.
        assertThat(info.getServerName()).isEqualTo("java-b");
        assertThat(info.getPersistents()).isEqualTo(mode.ttheader() ? Map.of("p", "2") : Map.of());
        assertThat(info.getTransients()).isEmpty();
        assertThat(info.getCallerService()).isEqualTo(onwardCallerService());
        // Key 20: the method the calling server was serving.
        assertThat(info.getCallerMethod()).isEqualTo("callInfoVia");
    }

    // ------------------------------------------------------------------ errors

    @ParameterizedTest
    @MethodSource("modes")
    void bizStatusErrors(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        if (mode.ttheader()) {
            assertThatThrownBy(() -> s.bizError(10001, "quota exceeded", Map.of("retry-after", "5")))
                    .isInstanceOfSatisfying(BizStatusException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(10001);
                        assertThat(e.statusMessage()).isEqualTo("quota exceeded");
                        assertThat(e.extra()).isEqualTo(Map.of("retry-after", "5"));
                    });
            assertThatThrownBy(() -> s.bizError(-7, "", Map.of())).isInstanceOfSatisfying(BizStatusException.class,
                    e -> assertThat(e.statusCode()).isEqualTo(-7));
        } else {
            // As with Kitex, the business error is lost: an empty result, the generated code's "unknown result".
            assertThatThrownBy(() -> s.bizError(10001, "quota exceeded", Map.of()))
                    .isInstanceOfSatisfying(RemoteApplicationException.class,
                            e -> assertThat(e.typeId()).isEqualTo(TApplicationException.MISSING_RESULT));
        }
        assertThat(s.echoString("still fine")).isEqualTo("still fine");
    }

    @ParameterizedTest
    @MethodSource("modes")
    void declaredExceptions(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        assertThat(s.throwDeclared(0, 0, "no error")).isEqualTo("no error");
        assertThatThrownBy(() -> s.throwDeclared(1, 400, "bad argument"))
                .isInstanceOfSatisfying(InvalidArgument.class, e -> {
                    assertThat(e.getCode()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("bad argument");
                });
        assertThatThrownBy(() -> s.throwDeclared(2, 0, "key-1")).isInstanceOfSatisfying(NotFound.class,
                e -> assertThat(e.getKey()).isEqualTo("key-1"));
        // Async: the future fails with the declared exception itself.
        final CompletableFuture<String> f = client(mode).async(InteropService.Iface.class)
                .call(i -> i.throwDeclared(1, 1, "async"));
        assertThatThrownBy(f::join).cause().isInstanceOf(InvalidArgument.class);
    }

    @ParameterizedTest
    @MethodSource("modes")
    void undeclaredExceptions(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        assertThatThrownBy(() -> s.fail("boom")).isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
            assertThat(e.typeId()).isEqualTo(TApplicationException.INTERNAL_ERROR);
            assertThat(e.getMessage()).isEqualTo("biz error: boom");
        });
        assertThat(s.echoString("after")).isEqualTo("after");
    }

    @ParameterizedTest
    @MethodSource("modes")
    void unknownMethodsAndServices(Mode mode) throws Exception {
        final CompletableFuture<InteropService.ping_result> f = client(mode).call("InteropService", "noSuchMethod",
                new InteropService.ping_args(), InteropService.ping_result::new, CallOptions.DEFAULT);
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
                    if (mode.ttheader()) {
                        // isn names a registered service.
                        assertThat(e.typeId()).isEqualTo(TApplicationException.UNKNOWN_METHOD);
                        assertThat(e.getMessage()).isEqualTo("unknown method noSuchMethod (service InteropService)");
                    } else {
                        assertThat(e.typeId()).isEqualTo(20);
                        assertThat(e.getMessage()).contains("unknown service", "method noSuchMethod");
                    }
                });
        // The server closed that connection; the client goes on with another.
        assertThat(stub(mode).echoString("next")).isEqualTo("next");
        if (mode.ttheader()) {
            // isn names a service the server does not have.
            final CompletableFuture<InteropService.ping_result> g = client(mode).call("NoSuchService",
                    "noSuchMethod", new InteropService.ping_args(), InteropService.ping_result::new,
                    CallOptions.DEFAULT);
            assertThatThrownBy(() -> g.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
                        assertThat(e.typeId()).isEqualTo(20);
                        assertThat(e.getMessage()).isEqualTo("unknown service NoSuchService, method noSuchMethod");
                    });
            assertThat(stub(mode).echoString("next")).isEqualTo("next");
        }
    }

    // ------------------------------------------------------------------ oneway, timeouts

    @ParameterizedTest
    @MethodSource("modes")
    void oneway(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        final String key = "k-" + mode;
        s.onewayPut(key, "v1");
        await().atMost(Duration.ofSeconds(10)).until(() -> s.onewayGet(key).equals("v1"));
        s.onewayPut(key, "v2");
        await().atMost(Duration.ofSeconds(10)).until(() -> s.onewayGet(key).equals("v2"));
        client(mode).async(InteropService.Iface.class).run(i -> i.onewayPut(key, "v3")).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> s.onewayGet(key).equals("v3"));
    }

    @ParameterizedTest
    @MethodSource("modes")
    void rpcTimeoutFires(Mode mode) throws Exception {
        final InteropService.Iface fast = client(mode).stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(200)).build());
        final long start = System.nanoTime();
        assertThatThrownBy(() -> fast.sleep(3_000)).isInstanceOf(RpcTimeoutException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(190L, 1_500L);
        if (mode.ttheader()) {
            assertThat(fast.callInfo().getTimeoutMillis()).isEqualTo(200);
        }
        assertThat(stub(mode).echoString("after timeout")).isEqualTo("after timeout");
    }
}
