package io.kitex4j.interop;

import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.idl.structs.InteropValues;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.client.BackwardValues;
import io.kitex4j.thriftrpc.client.CallOptions;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;

/**
 * Cells 2 and 3, one direction: a kitex4j {@link KitexClient} calling a Go Kitex server ({@code go/cmd/server},
 * with {@code transmeta.ServerTTHeaderHandler}) over each transport, by fixed address.
 */
class JavaClientToGoServerTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static GoServer go;
    private static KitexServer javaB;
    private static JavaPeers.Interop javaBHandler;
    private static final Map<Transport, KitexClient> CLIENTS = new EnumMap<>(Transport.class);

    @BeforeAll
    static void start() {
        go = GoPeers.server("--etcd", ETCD.endpoints().get(0), "--service", "interop-go", "--name", "go-a");
        javaBHandler = new JavaPeers.Interop("java-b");
        javaB = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, javaBHandler)
                .shutdownHook(false).exitWait(Duration.ZERO).build().startBlocking();
        for (Transport t : Transport.values()) {
            CLIENTS.put(t, KitexClient.builder().service("interop-go").fromService("java-client")
                    .addresses(go.address()).transport(t).connectTimeout(Duration.ofSeconds(1))
                    .rpcTimeout(Duration.ofSeconds(10)).build());
        }
    }

    @AfterAll
    static void stop() {
        CLIENTS.values().forEach(KitexClient::close);
        if (go != null) {
            go.close();
        }
        if (javaB != null) {
            javaB.close();
            javaBHandler.close();
        }
    }

    private static InteropService.Iface stub(Transport t) {
        return CLIENTS.get(t).stub(InteropService.Iface.class);
    }

    private static boolean ttheader(Transport t) {
        return t == Transport.TTHEADER || t == Transport.TTHEADER_FRAMED;
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void echo(Transport t) throws Exception {
        final EchoServer.Iface echo = CLIENTS.get(t).stub(EchoServer.Iface.class);
        for (int i = 0; i < 5; i++) {
            assertThat(echo.Echo(new Request("echo", "hello " + i)).getMsg()).isEqualTo("hello " + i);
        }
        assertThat(echo.Echo(new Request("whoami", "")).getMsg()).isEqualTo("go-a");
        assertThat(echo.Echo(new Request("sleep", "20,x")).getMsg()).isEqualTo("20,x");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void primitivesAndStrings(Transport t) throws Exception {
        final InteropService.Iface s = stub(t);
        s.ping();
        for (String v : InteropValues.STRINGS) {
            assertThat(s.echoString(v)).isEqualTo(v);
        }
        for (long v : InteropValues.I64S) {
            assertThat(s.echoI64(v)).isEqualTo(v);
        }
        for (double v : InteropValues.DOUBLES) {
            assertThat(Double.valueOf(s.echoDouble(v))).isEqualTo(Double.valueOf(v));
        }
        assertThat(s.echoBool(true)).isTrue();
        assertThat(s.echoBool(false)).isFalse();
        for (Color c : Color.values()) {
            assertThat(s.echoColor(c)).isEqualTo(c);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void structsUnionsAndContainers(Transport t) throws Exception {
        final InteropService.Iface s = stub(t);
        // Differs from Java-Java: Go always writes a default-requiredness field, and an unset string is "" in Go,
        // so plainString (unset in minimal()) comes back as "".
        final AllTypes minimalFromGo = InteropValues.minimal().setPlainString("");
        assertThat(s.echoAll(InteropValues.minimal())).isEqualTo(minimalFromGo);
        assertThat(s.echoAll(InteropValues.full())).isEqualTo(InteropValues.full());
        // Unset default-requiredness fields are not written; Go fills in its IDL defaults and writes them back.
        assertThat(s.echoAll(new AllTypes(InteropValues.full()).setDefaultList(null).setDefaultMap(null)))
                .isEqualTo(new AllTypes(InteropValues.full()).setDefaultList(List.of(1, 2, 3))
                        .setDefaultMap(Map.of("k", "v")));
        assertThat(s.echoAllList(List.of())).isEmpty();
        assertThat(s.echoAllList(List.of(InteropValues.minimal(), InteropValues.full())))
                .containsExactly(minimalFromGo, InteropValues.full());
        for (Choice c : InteropValues.choices()) {
            assertThat(s.echoChoice(c)).isEqualTo(c);
        }
        assertThat(s.echoContainers(Map.of())).isEmpty();
        final Map<String, List<Inner>> nested = Map.of("", List.of(), "k", List.of(InteropValues.inner(1),
                new Inner(Integer.MIN_VALUE)));
        assertThat(s.echoContainers(nested)).isEqualTo(nested);
        final AllTypes fields = s.echoFields(true, Byte.MIN_VALUE, Short.MAX_VALUE, Integer.MIN_VALUE,
                Long.MAX_VALUE, Double.NEGATIVE_INFINITY, "ünïcödé", ByteBuffer.wrap(InteropValues.allBytes()));
        assertThat(fields).isEqualTo(InteropValues.required(true, Byte.MIN_VALUE, Short.MAX_VALUE,
                Integer.MIN_VALUE, Long.MAX_VALUE, Double.NEGATIVE_INFINITY, "ünïcödé",
                ByteBuffer.wrap(InteropValues.allBytes())).setPlainString(""));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void binariesUpTo4MiB(Transport t) throws Exception {
        final InteropService.Iface s = stub(t);
        assertThat(s.echoBinary(ByteBuffer.wrap(new byte[0]))).isEqualTo(ByteBuffer.wrap(new byte[0]));
        final byte[] big = new byte[4 * 1024 * 1024];
        new Random(42).nextBytes(big);
        assertThat(s.echoBinary(ByteBuffer.wrap(big))).isEqualTo(ByteBuffer.wrap(big));
        final ByteBuffer made = s.makeBinary(4 * 1024 * 1024);
        assertThat(made.remaining()).isEqualTo(4 * 1024 * 1024);
        assertThat(made.get(made.position() + 1_000_001)).isEqualTo((byte) (1_000_001 % 256));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void declaredExceptions(Transport t) throws Exception {
        final InteropService.Iface s = stub(t);
        assertThat(s.throwDeclared(0, 0, "no error")).isEqualTo("no error");
        assertThatThrownBy(() -> s.throwDeclared(1, 400, "bad argument"))
                .isInstanceOfSatisfying(InvalidArgument.class, e -> {
                    assertThat(e.getCode()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("bad argument");
                });
        assertThatThrownBy(() -> s.throwDeclared(2, 0, "key-1")).isInstanceOfSatisfying(NotFound.class,
                e -> assertThat(e.getKey()).isEqualTo("key-1"));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void undeclaredErrorFromAGoHandler(Transport t) throws Exception {
        final InteropService.Iface s = stub(t);
        assertThatThrownBy(() -> s.fail("boom")).isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
            assertThat(e.typeId()).isEqualTo(TApplicationException.INTERNAL_ERROR);
            assertThat(e.getMessage()).isEqualTo("biz error: boom");
        });
        assertThat(s.echoString("after")).isEqualTo("after");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void unknownMethod(Transport t) throws Exception {
        final CompletableFuture<InteropService.ping_result> f = CLIENTS.get(t).call("InteropService",
                "noSuchMethod", new InteropService.ping_args(), InteropService.ping_result::new, CallOptions.DEFAULT);
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
                    if (ttheader(t)) {
                        assertThat(e.typeId()).isEqualTo(TApplicationException.UNKNOWN_METHOD);
                        assertThat(e.getMessage()).isEqualTo("unknown method noSuchMethod (service InteropService)");
                    } else {
                        assertThat(e.typeId()).isEqualTo(20);
                        assertThat(e.getMessage()).contains("unknown service", "method noSuchMethod");
                    }
                });
        assertThat(stub(t).echoString("next")).isEqualTo("next");
        if (ttheader(t)) {
            // isn names a service the Go server does not have
            final CompletableFuture<InteropService.ping_result> g = CLIENTS.get(t).call("NoSuchService",
                    "noSuchMethod", new InteropService.ping_args(), InteropService.ping_result::new,
                    CallOptions.DEFAULT);
            assertThatThrownBy(() -> g.get(10, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(RemoteApplicationException.class, e -> {
                        assertThat(e.typeId()).isEqualTo(20);
                        assertThat(e.getMessage()).isEqualTo("unknown service NoSuchService, method noSuchMethod");
                    });
            assertThat(stub(t).echoString("next")).isEqualTo("next");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void bizStatusErrorFromGo(Transport t) throws Exception {
        final InteropService.Iface s = stub(t);
        if (ttheader(t)) {
            assertThatThrownBy(() -> s.bizError(10001, "quota exceeded", Map.of("retry-after", "5")))
                    .isInstanceOfSatisfying(BizStatusException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(10001);
                        assertThat(e.statusMessage()).isEqualTo("quota exceeded");
                        assertThat(e.extra()).isEqualTo(Map.of("retry-after", "5"));
                    });
            assertThatThrownBy(() -> s.bizError(-7, "", Map.of())).isInstanceOfSatisfying(
                    BizStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(-7));
        } else {
            // Kitex loses the biz status error without TTHeader: an empty result.
            assertThatThrownBy(() -> s.bizError(10001, "quota exceeded", Map.of()))
                    .isInstanceOfSatisfying(RemoteApplicationException.class,
                            e -> assertThat(e.typeId()).isEqualTo(TApplicationException.MISSING_RESULT));
        }
        assertThat(s.echoString("still fine")).isEqualTo("still fine");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void metainfoBothWays(Transport t) throws Exception {
        final CallInfo info;
        final Map<String, String> backward;
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2")
                .withTransient("send-back-bk", "bv").attach();
             BackwardValues captured = BackwardValues.capture()) {
            info = stub(t).callInfo();
            backward = captured.asMap();
        }
        assertThat(info.getServerName()).isEqualTo("go-a");
        if (ttheader(t)) {
            assertThat(info.getTransients()).isEqualTo(Map.of("t", "1", "send-back-bk", "bv"));
            assertThat(info.getPersistents()).isEqualTo(Map.of("p", "2"));
            assertThat(backward).containsEntry("bk", "bv");
        } else {
            assertThat(info.getTransients()).isEmpty();
            assertThat(info.getPersistents()).isEmpty();
            assertThat(backward).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void callerCalleeTimeoutAndTransportAsGoSawThem(Transport t) throws Exception {
        final CallInfo info = CLIENTS.get(t).stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(3000)).build()).callInfo();
        assertThat(info.getMethod()).isEqualTo("callInfo");
        assertThat(info.getCalleeMethod()).isEqualTo("callInfo");
        assertThat(info.getTransport()).isEqualTo(GO_SEES.get(t));
        if (ttheader(t)) {
            assertThat(info.getCallerService()).isEqualTo("java-client");
            assertThat(info.getCalleeService()).isEqualTo("interop-go");
            assertThat(info.getTimeoutMillis()).isEqualTo(3000);
        } else {
            assertThat(info.getCallerService()).isEmpty();
            assertThat(info.getTimeoutMillis()).isEqualTo(-1);
        }
    }

    /** The transport a Go server reports in rpcinfo for each transport kitex4j sends. */
    static final Map<Transport, String> GO_SEES = Map.of(Transport.BUFFERED, "BUFFERED", Transport.FRAMED, "FRAMED",
            Transport.TTHEADER, "TTHEADER", Transport.TTHEADER_FRAMED, "TTHEADER_FRAMED");

    @ParameterizedTest
    @EnumSource(Transport.class)
    void goServerCallingAJavaServerForwardsPersistentsOnly(Transport t) throws Exception {
        final CallInfo info;
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2").attach()) {
            info = stub(t).callInfoVia("127.0.0.1:" + javaB.port());
        }
        assertThat(info.getServerName()).isEqualTo("java-b");
        assertThat(info.getPersistents()).isEqualTo(ttheader(t) ? Map.of("p", "2") : Map.of());
        assertThat(info.getTransients()).isEmpty();
        assertThat(info.getCallerService()).isEqualTo("interop-go");
        assertThat(info.getCallerMethod()).isEqualTo("callInfoVia");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void oneway(Transport t) throws Exception {
        final InteropService.Iface s = stub(t);
        final String key = "k-" + t;
        s.onewayPut(key, "v1");
        await().atMost(Duration.ofSeconds(10)).until(() -> s.onewayGet(key).equals("v1"));
        s.onewayPut(key, "v2");
        await().atMost(Duration.ofSeconds(10)).until(() -> s.onewayGet(key).equals("v2"));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void rpcTimeoutFires(Transport t) throws Exception {
        final InteropService.Iface fast = CLIENTS.get(t).stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(200)).build());
        final long start = System.nanoTime();
        assertThatThrownBy(() -> fast.sleep(2_000)).isInstanceOf(RpcTimeoutException.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(190L, 1_500L);
        if (ttheader(t)) {
            assertThat(fast.callInfo().getTimeoutMillis()).isEqualTo(200);
        }
        assertThat(stub(t).echoString("after timeout")).isEqualTo("after timeout");
    }

    @Test
    void multiplexedClientAgainstAGoMuxServer() throws Exception {
        try (GoServer mux = GoPeers.server("--service", "interop-mux", "--name", "go-mux", "--mux");
             KitexClient client = KitexClient.builder().service("interop-mux").addresses(mux.address())
                     .transport(Transport.TTHEADER_FRAMED).multiplexed(2).rpcTimeout(Duration.ofSeconds(10))
                     .build()) {
            final InteropService.Iface s = client.stub(InteropService.Iface.class);
            final List<CompletableFuture<String>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                final String v = "mux-" + i;
                futures.add(client.async(InteropService.Iface.class).call(x -> x.echoString(v)));
            }
            for (int i = 0; i < 200; i++) {
                assertThat(futures.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("mux-" + i);
            }
            assertThat(s.callInfo().getServerName()).isEqualTo("go-mux");
        }
    }
}
