package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.testing.containers.GoClientRun;

/**
 * What the Go Kitex client ({@code go/cmd/client}, with {@code transmeta.ClientTTHeaderHandler}) sees of a server
 * of {@code interop.thrift} named {@code "interop"}, over each transport and with no transport option at all
 * ({@code default}), where a kitex4j server must answer as a Go Kitex server does: every method with edge values,
 * caller and callee as the server saw them, business and undeclared errors, unknown methods and services. A
 * subclass wires the server; where kitex4j legitimately differs it says so by overriding
 * {@link #methodMismatches()} and {@link #assertRawHeaderAsTheServerSawIt(String, JsonNode)}.
 */
abstract class GoClientContract {

    /** The transport kitex4j's and Go's server detect for each Go client setting. */
    static final Map<String, String> SERVER_SEES = Map.of("buffered", "BUFFERED", "framed", "FRAMED",
            // Kitex's Go client with transport.TTHeader frames the payload inside the TTHeader (int key 1 =
            // "framed"); a Go server reports TTHEADER_FRAMED for it too.
            "ttheader", "TTHEADER_FRAMED", "ttheader-framed", "TTHEADER_FRAMED",
            // Kitex >= v0.13 defaults to Framed (Kitex v0.16.3 here)
            "default", "FRAMED");

    /** {@code host:port} of the server, which serves service {@code "interop"}. */
    protected abstract String serverAddress();

    /** What the server reports as its name ({@code CallInfo.serverName}). */
    protected abstract String serverName();

    /** The checks of the Go client's {@code methods} scenario that fail against this server. */
    protected abstract List<String> methodMismatches();

    /** Checks what only some servers report in {@code callInfo}: the raw TTHeader. */
    protected abstract void assertRawHeaderAsTheServerSawIt(String transport, JsonNode info);

    static boolean ttheader(String transport) {
        return transport.startsWith("ttheader");
    }

    /** Runs the Go client against the server; it must exit 0. */
    GoClientRun go(String transport, String scenario, String... more) {
        final List<String> args = new ArrayList<>(List.of("--addr", serverAddress(), "--service", "interop",
                "--transport", transport, "--scenario", scenario, "--timeout", "10s"));
        args.addAll(List.of(more));
        final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s", run).isZero();
        return run;
    }

    /** The one call of {@code run}. */
    static JsonNode single(GoClientRun run) {
        assertThat(run.calls()).as("%s", run).hasSize(1);
        return run.calls().get(0);
    }

    /** Through Kitex's binary generic client (BinaryThriftGenericV2), which can name any method and service. */
    private JsonNode raw(String transport, String method, String idlService) {
        return single(go(transport, "rawCall", "--msg", method, "--idl-service", idlService));
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void everyMethodWithEdgeValues(String t) {
        final JsonNode r = single(go(t, "methods"));
        final List<String> expected = methodMismatches();
        assertThat(r.get("ok").asBoolean()).as("%s", r).isEqualTo(expected.isEmpty());
        assertThat(r.get("result")).as("%s", r).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(r.get("result").get(i).asText()).isEqualTo(expected.get(i));
        }
        assertThat(single(go(t, "echoAll")).get("result").get("equal").asBoolean()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void callInfoAsTheServerSawIt(String t) {
        final JsonNode r = single(go(t, "callInfo", "--timeout", "3s"));
        final JsonNode info = r.get("result");
        assertThat(info.get("serverName").asText()).isEqualTo(serverName());
        assertThat(info.get("method").asText()).isEqualTo("callInfo");
        assertThat(info.get("transport").asText()).as("%s", r).isEqualTo(SERVER_SEES.get(t));
        if (ttheader(t)) {
            assertThat(info.get("callerService").asText()).isEqualTo("go-interop-client");
            assertThat(info.get("callerMethod").asText()).isEqualTo("callInfo");
            assertThat(info.get("calleeService").asText()).isEqualTo("interop");
            assertThat(info.get("calleeMethod").asText()).isEqualTo("callInfo");
            assertThat(info.get("timeoutMillis").asLong()).isEqualTo(3000);
        } else {
            assertThat(info.get("callerService").asText()).isEmpty();
            assertThat(info.get("timeoutMillis").asLong()).isEqualTo(-1);
        }
        assertRawHeaderAsTheServerSawIt(t, info);
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void bizStatusErrorIsLostWithoutTTHeader(String t) {
        final JsonNode r = single(go(t, "bizError", "--code", "10001", "--msg", "quota exceeded", "--extra",
                "retry-after=5"));
        if (ttheader(t)) {
            assertThat(r.get("ok").asBoolean()).isFalse();
            assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("biz");
            assertThat(r.get("bizCode").asInt()).isEqualTo(10001);
            assertThat(r.get("bizMessage").asText()).isEqualTo("quota exceeded");
            assertThat(r.get("bizExtra").get("retry-after").asText()).isEqualTo("5");
        } else {
            // Without TTHeader the status is lost, the reply has an empty result, and Kitex's generated client
            // returns the zero value ("") without an error.
            assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
            assertThat(r.get("result").asText()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void undeclaredErrorArrivesAsApplicationErrorType6(String t) {
        final JsonNode r = single(go(t, "fail", "--msg", "boom"));
        assertThat(r.get("ok").asBoolean()).isFalse();
        assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("application");
        assertThat(r.get("typeId").asInt()).isEqualTo(6);
        assertThat(r.get("error").asText()).contains("biz error: boom");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void unknownMethodAndServiceTypeCodes(String t) {
        final JsonNode unknownMethod = raw(t, "noSuchMethod", "InteropService");
        assertThat(unknownMethod.get("errorKind").asText()).as("%s", unknownMethod).isEqualTo("application");
        if (ttheader(t)) {
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
        if (ttheader(t)) {
            final JsonNode unknownService = raw(t, "noSuchMethod", "NoSuchService");
            assertThat(unknownService.get("typeId").asInt()).as("%s", unknownService).isEqualTo(20);
            assertThat(unknownService.get("error").asText())
                    .endsWith("unknown service NoSuchService, method noSuchMethod");
        }
    }
}
