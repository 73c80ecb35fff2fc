package io.kitex4j.interop;

import io.kitex4j.core.RemoteApplicationException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.client.BackwardValues;
import io.kitex4j.thriftrpc.client.CallOptions;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.EchoServerHandler;
import io.kitex4j.thriftrpc.testing.InteropHandler;

/**
 * TTHeader with Kitex's meta handlers switched off on one side (transmeta.ClientTTHeaderHandler /
 * ServerTTHeaderHandler), and server-side deadlines (WithEnableContextTimeout). Each Java result is compared with
 * what the same Go peer gives a Go peer.
 */
class MetaHandlersInteropTest {

    private static GoServer goOff;   // no ServerTTHeaderHandler
    private static GoServer goOn;    // with it, and WithEnableContextTimeout
    private static KitexServer java;
    private static InteropHandler handler;

    @BeforeAll
    static void start() {
        goOff = GoPeers.server("--name", "go-off", "--ttheader-meta=false", "--context-timeout");
        goOn = GoPeers.server("--name", "go-on", "--context-timeout");
        handler = new InteropHandler("java");
        java = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handler)
                .service(EchoServer.class, new EchoServerHandler("java")).shutdownHook(false).exitWait(Duration.ZERO)
                .build().startBlocking();
    }

    @AfterAll
    static void stop() {
        goOff.close();
        goOn.close();
        java.close();
        handler.close();
    }

    private static JsonNode goCall(String addr, String... more) {
        final List<String> args = new ArrayList<>(List.of("--addr", addr, "--service", "interop", "--transport",
                "ttheader-framed"));
        args.addAll(List.of(more));
        final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.calls()).as("%s", run).hasSize(1);
        return run.calls().get(0);
    }

    private static KitexClient javaClient(String addr) {
        return KitexClient.builder().service("interop").fromService("java-client").addresses(addr)
                .transport(Transport.TTHEADER_FRAMED).rpcTimeout(Duration.ofSeconds(3)).build();
    }

    @Test
    void goServerWithoutMetaHandlerGivesJavaWhatItGivesGo() throws Exception {
        final JsonNode go = goCall(goOff.address(), "--scenario", "callInfo", "--timeout", "3s", "--transient",
                "t=1", "--persistent", "p=2").get("result");
        try (KitexClient client = javaClient(goOff.address())) {
            final CallInfo info;
            try (Metainfo.Scope ignored = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2").attach()) {
                info = client.stub(InteropService.Iface.class).callInfo();
            }
            // Metainfo needs no meta handler (Kitex's metainfo handlers are always on).
            assertThat(info.getTransients()).isEqualTo(Map.of("t", "1"));
            assertThat(info.getPersistents()).isEqualTo(Map.of("p", "2"));
            assertThat(go.get("transients").get("t").asText()).isEqualTo("1");
            // Without ServerTTHeaderHandler the server ignores RPC_TIMEOUT and FROM_METHOD, for both clients.
            assertThat(info.getTimeoutMillis()).isEqualTo(go.get("timeoutMillis").asLong()).isEqualTo(-1);
            assertThat(info.getDeadlineRemainingMillis()).isEqualTo(-1);
            assertThat(info.getCallerMethod()).isEqualTo(go.get("callerMethod").asText()).isEmpty();
            // The caller's service still arrives (FROM_SERVICE), as it does from a Go client.
            assertThat(go.get("callerService").asText()).isEqualTo("go-interop-client");
            assertThat(info.getCallerService()).isEqualTo("java-client");

            // The biz status error is lost without the server's handler. Go's generated client returns the zero
            // value without an error; Apache Thrift's Java code reports the missing result (a difference of the
            // generated code, not of the wire).
            final JsonNode goBiz = goCall(goOff.address(), "--scenario", "bizError", "--code", "7", "--msg", "m");
            assertThat(goBiz.get("ok").asBoolean()).as("%s", goBiz).isTrue();
            assertThat(goBiz.get("result").asText()).isEmpty();
            assertThatThrownBy(() -> client.stub(InteropService.Iface.class).bizError(7, "m", Map.of()))
                    .isInstanceOfSatisfying(RemoteApplicationException.class,
                            e -> assertThat(e.typeId()).isEqualTo(TApplicationException.MISSING_RESULT));
        }
    }

    @Test
    void serverDeadlineFromTheClientsTimeout() throws Exception {
        final JsonNode go = goCall(goOn.address(), "--scenario", "callInfo", "--timeout", "3s").get("result");
        assertThat(go.get("timeoutMillis").asLong()).isEqualTo(3000);
        assertThat(go.get("deadlineRemainingMillis").asLong()).isBetween(2000L, 3000L);
        try (KitexClient client = javaClient(goOn.address())) {
            final CallInfo info = client.stub(InteropService.Iface.class).callInfo();
            assertThat(info.getTimeoutMillis()).isEqualTo(3000);
            assertThat(info.getDeadlineRemainingMillis()).isBetween(2000L, 3000L);
            assertThat(info.getCallerMethod()).isEmpty();
            // Go client → kitex4j server: the same numbers
            final JsonNode fromGo = goCall("127.0.0.1:" + java.port(), "--scenario", "callInfo", "--timeout", "3s")
                    .get("result");
            assertThat(fromGo.get("timeoutMillis").asLong()).isEqualTo(3000);
            assertThat(fromGo.get("deadlineRemainingMillis").asLong()).isBetween(2000L, 3000L);
        }
    }

    /** A Go client without ClientTTHeaderHandler, against a Go server and against kitex4j. */
    @ParameterizedTest
    @ValueSource(strings = {"go", "java"})
    void goClientWithoutMetaHandler(String serverKind) {
        final String addr = serverKind.equals("go") ? goOn.address() : "127.0.0.1:" + java.port();
        final JsonNode r = goCall(addr, "--ttheader-meta=false", "--scenario", "callInfo", "--timeout", "3s",
                "--transient", "t=1", "--persistent", "p=2", "--transient", "send-back-b=c");
        final JsonNode info = r.get("result");
        assertThat(info.get("callerService").asText()).isEmpty();
        assertThat(info.get("timeoutMillis").asLong()).isEqualTo(-1);
        assertThat(info.get("transients").get("t").asText()).isEqualTo("1");
        assertThat(info.get("persistents").get("p").asText()).isEqualTo("2");
        assertThat(r.get("backward").get("b").asText()).isEqualTo("c");

        // The biz status arrives in the header but nothing turns it into an error: the call "succeeds" with the
        // zero value, and the biz-* strings surface as backward metainfo.
        final JsonNode biz = goCall(addr, "--ttheader-meta=false", "--scenario", "bizError", "--code", "7", "--msg",
                "m", "--extra", "a=b");
        assertThat(biz.get("ok").asBoolean()).as("%s", biz).isTrue();
        assertThat(biz.get("result").asText()).isEmpty();
        assertThat(biz.get("backward").get("biz-status").asText()).as("%s", biz).isEqualTo("7");
        assertThat(biz.get("backward").get("biz-message").asText()).isEqualTo("m");
        assertThat(biz.get("backward").get("biz-extra").asText()).isEqualTo("{\"a\":\"b\"}");
    }

    @Test
    void bizStatusFromJavaWithExtraOverTTHeaderReachesAGoClient() {
        final JsonNode r = goCall("127.0.0.1:" + java.port(), "--scenario", "bizError", "--code", "-3", "--msg",
                "négatif", "--extra", "k1=v1", "--extra", "k2=");
        assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("biz");
        assertThat(r.get("bizCode").asInt()).isEqualTo(-3);
        assertThat(r.get("bizMessage").asText()).isEqualTo("négatif");
        assertThat(r.get("bizExtra").get("k1").asText()).isEqualTo("v1");
        assertThat(r.get("bizExtra").get("k2").asText()).isEmpty();
    }

    @Test
    void backwardValuesFromGoReachAJavaClientAsync() throws Exception {
        try (KitexClient client = javaClient(goOn.address())) {
            final BackwardValues back = BackwardValues.create();
            final CallInfo info = client.async(InteropService.Iface.class, CallOptions.builder()
                            .metainfo(Metainfo.empty().withTransient("send-back-x", "y").withPersistent("q", "r"))
                            .backwardValues(back).build())
                    .call(InteropService.Iface::callInfo).get();
            assertThat(info.getPersistents()).isEqualTo(Map.of("q", "r"));
            assertThat(back.get("x")).isEqualTo("y");
        }
        // and BizStatusException with extra from Go, over TTHeader (unframed) too
        try (KitexClient client = KitexClient.builder().service("interop").addresses(goOn.address())
                .transport(Transport.TTHEADER).build()) {
            assertThatThrownBy(() -> client.stub(InteropService.Iface.class).bizError(-3, "négatif",
                    Map.of("k1", "v1", "k2", ""))).isInstanceOfSatisfying(BizStatusException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(-3);
                        assertThat(e.statusMessage()).isEqualTo("négatif");
                        assertThat(e.extra()).isEqualTo(Map.of("k1", "v1", "k2", ""));
                    });
        }
    }
}
