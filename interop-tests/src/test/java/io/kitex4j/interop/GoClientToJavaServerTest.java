package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.interop.GoPeers.GoClientRun;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.server.KitexServer;

/**
 * Cells 2 and 3, the other direction: the Go Kitex client ({@code go/cmd/client}, with
 * {@code transmeta.ClientTTHeaderHandler}) calling a kitex4j {@link KitexServer}, over each transport and with no
 * transport option at all ({@code default}).
 */
class GoClientToJavaServerTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    static final String ALL_TRANSPORTS = "buffered,framed,ttheader,ttheader-framed,default";

    private static KitexServer java;
    private static JavaPeers.Interop handler;
    private static GoServer goB;

    @BeforeAll
    static void start() {
        handler = new JavaPeers.Interop("java-a");
        java = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handler)
                .service(EchoServer.class, new JavaPeers.Echo("java-a")).shutdownHook(false)
                .exitWait(Duration.ZERO).build().startBlocking();
        goB = GoPeers.server("--service", "interop-b", "--name", "go-b");
    }

    @AfterAll
    static void stop() {
        if (java != null) {
            java.close();
            handler.close();
        }
        if (goB != null) {
            goB.close();
        }
    }

    private static GoClientRun go(String transport, String scenario, String... more) {
        final List<String> args = new ArrayList<>(List.of("--addr", "127.0.0.1:" + java.port(), "--service",
                "interop", "--transport", transport, "--scenario", scenario, "--timeout", "10s"));
        args.addAll(List.of(more));
        final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s", run).isZero();
        return run;
    }

    private static JsonNode single(GoClientRun run) {
        assertThat(run.calls()).as("%s", run).hasSize(1);
        return run.calls().get(0);
    }

    private static boolean ttheader(String t) {
        return t.startsWith("ttheader");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void echo(String t) {
        final GoClientRun run = go(t, "echo", "--count", "5", "--msg", "hi from go");
        assertThat(run.summary().get("ok").asInt()).as("%s", run).isEqualTo(5);
        assertThat(run.calls().get(0).get("result").get("msg").asText()).isEqualTo("hi from go");
        final GoClientRun who = go(t, "weighted", "--count", "1");
        assertThat(single(who).get("server").asText()).isEqualTo("java-a");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void everyMethodWithEdgeValues(String t) {
        final JsonNode r = single(go(t, "methods"));
        // Differs from Go-Go (GoToGoBaselineTest): an enum value the IDL does not declare. Apache Thrift's Java
        // code reads it as null (Color.findByValue), the handler echoes null, the result field is not written,
        // and Kitex's generated client returns the zero value without an error (it never checks isSetSuccess).
        assertThat(r.get("result")).as("%s", r).hasSize(1);
        assertThat(r.get("result").get(0).asText()).isEqualTo("echoColor(12345) got 0: mismatch");
        assertThat(single(go(t, "echoAll")).get("result").get("equal").asBoolean()).isTrue();
    }

    /** The transport kitex4j's server detects for each Go client setting. */
    static final Map<String, String> JAVA_SEES = Map.of("buffered", "BUFFERED", "framed", "FRAMED",
            // Kitex's Go client with transport.TTHeader frames the payload inside the TTHeader (int key 1 =
            // "framed"); a Go server reports TTHEADER_FRAMED for it too (GoToGoBaselineTest).
            "ttheader", "TTHEADER_FRAMED", "ttheader-framed", "TTHEADER_FRAMED",
            // Kitex >= v0.13 defaults to Framed (Kitex v0.16.3 here)
            "default", "FRAMED");

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void callInfoAsJavaSawIt(String t) {
        final JsonNode r = single(go(t, "callInfo", "--timeout", "3s"));
        final JsonNode info = r.get("result");
        assertThat(info.get("serverName").asText()).isEqualTo("java-a");
        assertThat(info.get("method").asText()).isEqualTo("callInfo");
        assertThat(info.get("transport").asText()).as("%s", r).isEqualTo(JAVA_SEES.get(t));
        if (ttheader(t)) {
            assertThat(info.get("callerService").asText()).isEqualTo("go-interop-client");
            assertThat(info.get("callerMethod").asText()).isEqualTo("callInfo");
            assertThat(info.get("calleeService").asText()).isEqualTo("interop");
            assertThat(info.get("calleeMethod").asText()).isEqualTo("callInfo");
            assertThat(info.get("timeoutMillis").asLong()).isEqualTo(3000);
            assertThat(info.get("headerStrings").get("isn").asText()).isEqualTo("InteropService");
        } else {
            assertThat(info.get("callerService").asText()).isEmpty();
            assertThat(info.get("timeoutMillis").asLong()).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void metainfoBothWays(String t) {
        final JsonNode r = single(go(t, "callInfo", "--transient", "t=1", "--persistent", "p=2", "--transient",
                "send-back-bk=bv"));
        final JsonNode info = r.get("result");
        if (ttheader(t)) {
            assertThat(info.get("transients").get("t").asText()).isEqualTo("1");
            assertThat(info.get("transients").size()).isEqualTo(2);
            assertThat(info.get("persistents").get("p").asText()).isEqualTo("2");
            assertThat(info.get("persistents").size()).isEqualTo(1);
            assertThat(r.get("backward").get("bk").asText()).as("%s", r).isEqualTo("bv");
        } else {
            assertThat(info.get("transients").size()).isZero();
            assertThat(info.get("persistents").size()).isZero();
            assertThat(r.has("backward")).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void javaServerCallingAGoServerForwardsPersistentsOnly(String t) {
        final JsonNode r = single(go(t, "callInfoVia", "--msg", goB.address(), "--transient", "t=1",
                "--persistent", "p=2"));
        assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
        final JsonNode info = r.get("result");
        assertThat(info.get("serverName").asText()).isEqualTo("go-b");
        assertThat(info.get("transients").size()).isZero();
        if (ttheader(t)) {
            assertThat(info.get("persistents").get("p").asText()).isEqualTo("2");
        } else {
            assertThat(info.get("persistents").size()).isZero();
        }
        assertThat(info.get("callerService").asText()).isEqualTo("java-a");
        assertThat(info.get("callerMethod").asText()).isEqualTo("callInfoVia");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void declaredExceptions(String t) {
        final JsonNode ok = single(go(t, "throwDeclared", "--kind", "0", "--msg", "fine"));
        assertThat(ok.get("result").asText()).isEqualTo("fine");
        final JsonNode ia = single(go(t, "throwDeclared", "--kind", "1", "--code", "400", "--msg", "bad"));
        assertThat(ia.get("declared").asText()).as("%s", ia).isEqualTo("InvalidArgument");
        assertThat(ia.get("result").get("code").asInt()).isEqualTo(400);
        assertThat(ia.get("result").get("message").asText()).isEqualTo("bad");
        final JsonNode nf = single(go(t, "throwDeclared", "--kind", "2", "--msg", "key-1"));
        assertThat(nf.get("declared").asText()).as("%s", nf).isEqualTo("NotFound");
        assertThat(nf.get("result").get("key").asText()).isEqualTo("key-1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void undeclaredExceptionArrivesAsApplicationErrorType6(String t) {
        final JsonNode r = single(go(t, "fail", "--msg", "boom"));
        assertThat(r.get("ok").asBoolean()).isFalse();
        assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("application");
        assertThat(r.get("typeId").asInt()).isEqualTo(6);
        assertThat(r.get("error").asText()).contains("biz error: boom");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void bizStatusErrorFromJava(String t) {
        final JsonNode r = single(go(t, "bizError", "--code", "10001", "--msg", "quota exceeded", "--extra",
                "retry-after=5"));
        if (ttheader(t)) {
            assertThat(r.get("ok").asBoolean()).isFalse();
            assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("biz");
            assertThat(r.get("bizCode").asInt()).isEqualTo(10001);
            assertThat(r.get("bizMessage").asText()).isEqualTo("quota exceeded");
            assertThat(r.get("bizExtra").get("retry-after").asText()).isEqualTo("5");
        } else {
            // As between Go peers (GoToGoBaselineTest): without TTHeader the status is lost, the reply has an
            // empty result, and Kitex's generated client returns the zero value ("") without an error.
            assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
            assertThat(r.get("result").asText()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void onewayThenReadBack(String t) {
        final JsonNode r = single(go(t, "oneway", "--msg", "key-" + t));
        assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
        assertThat(r.get("result").asText()).isEqualTo("v-key-" + t + "-0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void rpcTimeout(String t) {
        final JsonNode r = single(go(t, "sleep", "--millis", "2000", "--timeout", "200ms"));
        assertThat(r.get("ok").asBoolean()).isFalse();
        assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("timeout");
        assertThat(r.get("latencyMicros").asLong()).isBetween(190_000L, 1_500_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void fourMiBPayloads(String t) {
        final JsonNode r = single(go(t, "binary", "--size", String.valueOf(4 * 1024 * 1024)));
        assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
        assertThat(r.get("result").get("echoed").asInt()).isEqualTo(4 * 1024 * 1024);
        assertThat(r.get("result").get("made").asInt()).isEqualTo(4 * 1024 * 1024);
    }

    @Test
    void goMuxClientAgainstJavaServer() {
        final GoClientRun run = go("ttheader-framed", "echo", "--mux", "2", "--count", "200", "--concurrency", "8",
                "--quiet");
        assertThat(run.summary().get("ok").asInt()).as("%s", run).isEqualTo(200);
        final JsonNode who = single(go("ttheader", "callInfo", "--mux", "1"));
        assertThat(who.get("result").get("serverName").asText()).isEqualTo("java-a");
    }

    private static JsonNode raw(String transport, String method, String idlService) {
        final GoClientRun run = GoPeers.client("--addr", "127.0.0.1:" + java.port(), "--service", "interop", "--transport", transport,
                "--scenario", "rawCall", "--msg", method, "--idl-service", idlService, "--timeout", "10s");
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.calls()).as("%s", run).hasSize(1);
        return run.calls().get(0);
    }

    /** Unknown methods and services through Kitex's binary generic client (BinaryThriftGenericV2). */
    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void unknownMethodAndServiceTypeCodes(String t) {
        final JsonNode unknownMethod = raw(t, "noSuchMethod", "InteropService");
        assertThat(unknownMethod.get("errorKind").asText()).as("%s", unknownMethod).isEqualTo("application");
        if (t.startsWith("ttheader")) {
            // isn names a service the server has: type 1 UNKNOWN_METHOD
            assertThat(unknownMethod.get("typeId").asInt()).isEqualTo(1);
            assertThat(unknownMethod.get("error").asText())
                    .endsWith("unknown method noSuchMethod (service InteropService)");
        } else {
            // no isn: type 20, Kitex's "unknown service" code
            assertThat(unknownMethod.get("typeId").asInt()).isEqualTo(20);
            assertThat(unknownMethod.get("error").asText()).endsWith("unknown service , method noSuchMethod");
        }
        // an existing method through the same generic client works
        assertThat(raw(t, "ping", "InteropService").get("ok").asBoolean()).isTrue();
        if (t.startsWith("ttheader")) {
            final JsonNode unknownService = raw(t, "noSuchMethod", "NoSuchService");
            assertThat(unknownService.get("typeId").asInt()).as("%s", unknownService).isEqualTo(20);
            assertThat(unknownService.get("error").asText())
                    .endsWith("unknown service NoSuchService, method noSuchMethod");
        }
    }
}
