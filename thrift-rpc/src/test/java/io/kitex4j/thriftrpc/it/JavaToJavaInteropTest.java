package io.kitex4j.thriftrpc.it;

import io.kitex4j.core.ConnectionLostException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.idl.structs.InteropValues;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.client.AsyncStub;
import io.kitex4j.thriftrpc.client.BackwardValues;
import io.kitex4j.thriftrpc.client.CallOptions;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.thriftrpc.internal.codec.NettyLeakDetection;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kitex4j client against the kitex4j server over real sockets, in every transport (and
 * multiplexed): every method and type of {@code interop.thrift}, metainfo both ways, every kind of
 * error, oneway, timeouts and frame size limits.
 */
@ExtendWith(NettyLeakDetection.class)
class JavaToJavaInteropTest {

    /** How the client talks to the server. */
    enum Mode {
        BUFFERED(Transport.BUFFERED, 0),
        FRAMED(Transport.FRAMED, 0),
        TTHEADER(Transport.TTHEADER, 0),
        TTHEADER_FRAMED(Transport.TTHEADER_FRAMED, 0),
        MULTIPLEXED(Transport.TTHEADER_FRAMED, 2);

        final Transport transport;
        final int muxConnections;

        Mode(Transport transport, int muxConnections) {
            this.transport = transport;
            this.muxConnections = muxConnections;
        }

        boolean ttheader() {
            return transport.hasTTHeader();
        }
    }

    private static InteropHandler handlerA;
    private static InteropHandler handlerB;
    private static KitexServer serverA;
    private static KitexServer serverB;
    private static KitexClient root;
    private static final Map<Mode, KitexClient> CLIENTS = new EnumMap<>(Mode.class);

    @BeforeAll
    static void startServers() {
        handlerA = new InteropHandler("java-a");
        handlerB = new InteropHandler("java-b");
        serverA = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handlerA)
                .shutdownHook(false).build().startBlocking();
        serverB = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handlerB)
                .shutdownHook(false).build().startBlocking();
        root = KitexClient.builder().service("interop").fromService("it-client")
                .addresses("127.0.0.1:" + serverA.port()).connectTimeout(Duration.ofSeconds(2))
                .rpcTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stopServers() {
        root.close();
        handlerA.close();
        handlerB.close();
        serverA.close();
        serverB.close();
    }

    private static synchronized KitexClient client(Mode mode) {
        return CLIENTS.computeIfAbsent(mode, m -> root.newBuilder().transport(m.transport).multiplexed(m.muxConnections)
                .build());
    }

    private static InteropService.Iface stub(Mode mode) {
        return client(mode).stub(InteropService.Iface.class);
    }

    // ------------------------------------------------------------------ types

    @ParameterizedTest
    @EnumSource(Mode.class)
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
    @EnumSource(Mode.class)
    void structsUnionsAndContainers(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        assertThat(s.echoAll(InteropValues.minimal())).isEqualTo(InteropValues.minimal());
        assertThat(s.echoAll(InteropValues.full())).isEqualTo(InteropValues.full());
        // Unset default-requiredness fields are not written; the receiver keeps its IDL defaults.
        assertThat(s.echoAll(new AllTypes(InteropValues.full()).setDefaultList(null).setDefaultMap(null)))
                .isEqualTo(new AllTypes(InteropValues.full()).setDefaultList(List.of(1, 2, 3))
                        .setDefaultMap(Map.of("k", "v")));
        assertThat(s.echoAllList(List.of())).isEmpty();
        assertThat(s.echoAllList(List.of(InteropValues.minimal(), InteropValues.full())))
                .containsExactly(InteropValues.minimal(), InteropValues.full());
        for (Choice c : InteropValues.choices()) {
            assertThat(s.echoChoice(c)).isEqualTo(c);
        }
        assertThat(s.echoContainers(Map.of())).isEmpty();
        final Map<String, List<Inner>> nested = Map.of("", List.of(), "k", List.of(InteropValues.inner(1),
                new Inner(Integer.MIN_VALUE)));
        assertThat(s.echoContainers(nested)).isEqualTo(nested);
        final AllTypes fields = s.echoFields(true, Byte.MIN_VALUE, Short.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE,
                Double.NEGATIVE_INFINITY, "ünïcödé", ByteBuffer.wrap(InteropValues.allBytes()));
        assertThat(fields).isEqualTo(InteropValues.required(true, Byte.MIN_VALUE, Short.MAX_VALUE, Integer.MIN_VALUE,
                Long.MAX_VALUE, Double.NEGATIVE_INFINITY, "ünïcödé", ByteBuffer.wrap(InteropValues.allBytes())));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
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
        assertThat(made.get(made.position() + 1_000_001)).isEqualTo((byte) 1_000_001);
    }

    // ------------------------------------------------------------------ meta

    @ParameterizedTest
    @EnumSource(Mode.class)
    void metainfoBothWays(Mode mode) throws Exception {
        final CallInfo info;
        final Map<String, String> backward;
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2").attach();
             BackwardValues captured = BackwardValues.capture()) {
            info = stub(mode).callInfo();
            backward = captured.asMap();
        }
        if (mode.ttheader()) {
            assertThat(info.getTransients()).isEqualTo(Map.of("t", "1"));
            assertThat(info.getPersistents()).isEqualTo(Map.of("p", "2"));
            assertThat(backward).containsEntry("backward-key", "backward-from-java-a");
        } else {
            // Like Kitex: without TTHeader there is nowhere to put them.
            assertThat(info.getTransients()).isEmpty();
            assertThat(info.getPersistents()).isEmpty();
            assertThat(backward).isEmpty();
        }

        // The same, asynchronously with explicit options.
        final BackwardValues explicit = BackwardValues.create();
        final CallInfo async = client(mode).async(InteropService.Iface.class, CallOptions.builder()
                        .metainfo(Metainfo.empty().withPersistent("only", "explicit")).backwardValues(explicit).build())
                .call(InteropService.Iface::callInfo).get(10, TimeUnit.SECONDS);
        if (mode.ttheader()) {
            assertThat(async.getPersistents()).isEqualTo(Map.of("only", "explicit"));
            assertThat(async.getTransients()).isEmpty();
            assertThat(explicit.get("backward-key")).isEqualTo("backward-from-java-a");
        } else {
            assertThat(explicit.asMap()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void callerCalleeAndTimeoutAsTheServerSawThem(Mode mode) throws Exception {
        final CallInfo info = client(mode).stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(3000)).build()).callInfo();
        assertThat(info.getTransport()).isEqualTo(mode.transport.name());
        assertThat(info.getMethod()).isEqualTo("callInfo");
        if (mode.ttheader()) {
            assertThat(info.getCallerService()).isEqualTo("it-client");
            assertThat(info.getCallerMethod()).isEmpty();
            assertThat(info.getCalleeService()).isEqualTo("interop");
            assertThat(info.getCalleeMethod()).isEqualTo("callInfo");
            assertThat(info.getTimeoutMillis()).isEqualTo(3000);
            assertThat(info.getHeaderStrings()).containsEntry("isn", "InteropService");
            assertThat(info.getHeaderInts()).containsEntry(22, "1").containsEntry(17, "2000")
                    .containsEntry(1, mode.transport.isFramed() ? "framed" : "unframed");
        } else {
            assertThat(info.getCallerService()).isEmpty();
            assertThat(info.getTimeoutMillis()).isEqualTo(-1);
            assertThat(info.isSetHeaderInts()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aServerCallingOnForwardsPersistentsOnlyAndNamesItsMethod(Mode mode) throws Exception {
        final CallInfo info;
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2").attach()) {
            info = stub(mode).callInfoVia("127.0.0.1:" + serverB.port());
        }
        // A calls B over TTHeader whatever this client used; A only has metainfo to forward if it got some.
        assertThat(info.getServerName()).isEqualTo("java-b");
        assertThat(info.getPersistents()).isEqualTo(mode.ttheader() ? Map.of("p", "2") : Map.of());
        assertThat(info.getTransients()).isEmpty();
        assertThat(info.getCallerService()).isEqualTo("java-a");
        // Key 20: the method the calling server was serving.
        assertThat(info.getCallerMethod()).isEqualTo("callInfoVia");
    }

    // ------------------------------------------------------------------ errors

    @ParameterizedTest
    @EnumSource(Mode.class)
    void businessErrors(Mode mode) throws Exception {
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
            // As with Kitex, the business error is lost; the generated code's "unknown result".
            assertThatThrownBy(() -> s.bizError(10001, "quota exceeded", Map.of()))
                    .isInstanceOfSatisfying(RemoteApplicationException.class,
                            e -> assertThat(e.typeId()).isEqualTo(TApplicationException.MISSING_RESULT));
        }
        assertThat(s.echoString("still fine")).isEqualTo("still fine");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
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
    @EnumSource(Mode.class)
    void undeclaredExceptions(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        assertThatThrownBy(() -> s.fail("boom")).isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
            assertThat(e.typeId()).isEqualTo(TApplicationException.INTERNAL_ERROR);
            assertThat(e.getMessage()).isEqualTo("biz error: boom");
        });
        assertThat(s.echoString("after")).isEqualTo("after");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void unknownMethods(Mode mode) throws Exception {
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
    }

    // ------------------------------------------------------------------ oneway, timeouts, limits

    @ParameterizedTest
    @EnumSource(Mode.class)
    void oneway(Mode mode) throws Exception {
        final InteropService.Iface s = stub(mode);
        final String key = "k-" + mode;
        s.onewayPut(key, "v1");
        await().atMost(Duration.ofSeconds(10)).until(() -> s.onewayGet(key).equals("v1"));
        client(mode).async(InteropService.Iface.class).run(i -> i.onewayPut(key, "v2")).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> s.onewayGet(key).equals("v2"));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void rpcTimeoutFires(Mode mode) throws Exception {
        final InteropService.Iface fast = client(mode).stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(200)).build());
        final long start = System.nanoTime();
        assertThatThrownBy(() -> fast.sleep(3_000)).isInstanceOf(RpcTimeoutException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(190L, 2_500L);
        if (mode.ttheader()) {
            assertThat(fast.callInfo().getTimeoutMillis()).isEqualTo(200);
        }
        assertThat(stub(mode).echoString("after timeout")).isEqualTo("after timeout");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void oversizedFramesAreRefused(Mode mode) throws Exception {
        // A reply over the client's limit.
        try (KitexClient small = client(mode).newBuilder().maxFrameBytes(1024 * 1024).build()) {
            assertThatThrownBy(() -> small.stub(InteropService.Iface.class).makeBinary(2 * 1024 * 1024))
                    .isInstanceOfSatisfying(RemoteApplicationException.class,
                            e -> assertThat(e.getCause()).isInstanceOfSatisfying(TTransportException.class,
                                    c -> assertThat(c.getType()).isEqualTo(TTransportException.CORRUPTED_DATA)));
            assertThat(small.stub(InteropService.Iface.class).echoString("small")).isEqualTo("small");
        }
        // A request over the server's (16 MiB): it closes the connection without an answer.
        final ByteBuffer tooBig = ByteBuffer.wrap(new byte[17 * 1024 * 1024]);
        // Whether the write fails first or the close is seen first depends on timing; never a reply.
        assertThatThrownBy(() -> stub(mode).echoBinary(tooBig))
                .isInstanceOfAny(ConnectionLostException.class, ConnectFailedException.class);
        assertThat(stub(mode).echoString("after")).isEqualTo("after");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void concurrentCallsFromManyThreads(Mode mode) throws Exception {
        final ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int thread = t;
                done.add(threads.submit(() -> {
                    final InteropService.Iface s = stub(mode);
                    final AsyncStub<InteropService.Iface> a = client(mode).async(InteropService.Iface.class);
                    for (int i = 0; i < 100; i++) {
                        final String v = thread + "-" + i;
                        assertThat(s.echoString(v)).isEqualTo(v);
                        assertThat(a.call(x -> x.echoI64(thread * 1000L + 1)).join()).isEqualTo(thread * 1000L + 1);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
