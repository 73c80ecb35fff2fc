package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.EchoServerHandler;
import io.kitex4j.thriftrpc.testing.InteropHandler;

/**
 * Cells 2 and 3, the other direction: the Go Kitex client ({@code go/cmd/client}, with
 * {@code transmeta.ClientTTHeaderHandler}) calling a kitex4j {@link KitexServer}, over each transport and with no
 * transport option at all ({@code default}): the {@link GoClientContract} (which {@link GoToGoBaselineTest} runs
 * against a Go server), and metainfo, calling on, declared exceptions, oneway, timeouts, large payloads and a
 * multiplexed Go client.
 */
class GoClientToJavaServerTest extends GoClientContract {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static KitexServer java;
    private static InteropHandler handler;
    private static GoServer goB;

    @BeforeAll
    static void start() {
        handler = new InteropHandler("java-a");
        java = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handler)
                .service(EchoServer.class, new EchoServerHandler("java-a")).shutdownHook(false)
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

    @Override
    protected String serverAddress() {
        return "127.0.0.1:" + java.port();
    }

    @Override
    protected String serverName() {
        return "java-a";
    }

    /**
     * Differs from Go-Go (GoToGoBaselineTest): an enum value the IDL does not declare. Apache Thrift's Java code
     * reads it as null (Color.findByValue), the handler echoes null, the result field is not written, and Kitex's
     * generated client returns the zero value without an error (it never checks isSetSuccess).
     */
    @Override
    protected List<String> methodMismatches() {
        return List.of("echoColor(12345) got 0: mismatch");
    }

    /** The kitex4j handler also reports the raw TTHeader: what the Go client wrote in it. */
    @Override
    protected void assertRawHeaderAsTheServerSawIt(String t, JsonNode info) {
        if (ttheader(t)) {
            assertThat(info.get("headerStrings").get("isn").asText()).isEqualTo("InteropService");
        }
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
}
