package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.interop.GoPeers.GoClientRun;
import io.kitex4j.interop.GoPeers.GoServer;

/**
 * Go client against Go server: the reference behaviour of Kitex itself for the cells where kitex4j's answer
 * could be questioned, so that each difference the matrix asserts is shown to be Kitex's own.
 */
class GoToGoBaselineTest {

    private static GoServer go;

    @BeforeAll
    static void start() {
        go = GoPeers.server("--service", "interop", "--name", "go-a");
    }

    @AfterAll
    static void stop() {
        if (go != null) {
            go.close();
        }
    }

    private static JsonNode single(String transport, String scenario, String... more) {
        final List<String> args = new ArrayList<>(List.of("--addr", go.address(), "--service", "interop",
                "--transport", transport, "--scenario", scenario, "--timeout", "10s"));
        args.addAll(List.of(more));
        final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.calls()).as("%s", run).hasSize(1);
        return run.calls().get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void everyMethodRoundTripsIncludingUndeclaredEnumValues(String t) {
        final JsonNode r = single(t, "methods");
        assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
        assertThat(r.get("result")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void transportAsAGoServerSeesIt(String t) {
        final JsonNode r = single(t, "callInfo");
        assertThat(r.get("result").get("transport").asText()).isEqualTo(
                GoClientToJavaServerTest.JAVA_SEES.get(t));
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void bizStatusErrorIsLostWithoutTTHeader(String t) {
        final JsonNode r = single(t, "bizError", "--code", "10001", "--msg", "quota exceeded", "--extra", "a=b");
        if (t.startsWith("ttheader")) {
            assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("biz");
            assertThat(r.get("bizCode").asInt()).isEqualTo(10001);
            assertThat(r.get("bizMessage").asText()).isEqualTo("quota exceeded");
            assertThat(r.get("bizExtra").get("a").asText()).isEqualTo("b");
        } else {
            assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
            assertThat(r.get("result").asText()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed", "default"})
    void undeclaredErrorIsType6(String t) {
        final JsonNode r = single(t, "fail", "--msg", "boom");
        assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("application");
        assertThat(r.get("typeId").asInt()).isEqualTo(6);
        assertThat(r.get("error").asText()).contains("biz error: boom");
    }

    private static JsonNode raw(String transport, String method, String idlService) {
        final GoClientRun run = GoPeers.client("--addr", go.address(), "--service", "interop", "--transport", transport,
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
