package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.thriftrpc.testing.EchoServerHandler;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.server.RejectionKind;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server QPS limit as a Go Kitex client sees it: against a Go server with {@code server.WithLimit} ({@code
 * -limit-qps}) and against a kitex4j server with {@code maxQps}, the same burst admitted and the same error for
 * the calls over the limit.
 */
class ServerLimitInteropTest {

    private static final Logger logger = LoggerFactory.getLogger(ServerLimitInteropTest.class);
    // Kitex closes the connection unanswered; which EOF text the Go client prints depends on its timing.
    private static final String OVER_LIMIT_PREFIX = "remote or network error: default codec read failed: EOF";

    private record Outcome(int ok, int firstFailure, Set<String> errors) {}

    private static Outcome burst(String address) throws InterruptedException {
        // A second idle: both limiters hold their whole bucket (10), plus what the next tick adds.
        Thread.sleep(1_100);
        final GoClientRun run = GoPeers.client("--addr", address, "--count", "40", "--per-call", "--timeout", "5s");
        int ok = 0;
        int first = -1;
        final Set<String> errors = new TreeSet<>();
        final List<JsonNode> calls = run.calls();
        assertThat(calls).as("%s", run).hasSize(40);
        for (JsonNode c : calls) {
            if (c.path("ok").asBoolean()) {
                ok++;
            } else {
                if (first < 0) {
                    first = c.path("i").asInt();
                }
                errors.add(c.path("err").asText());
            }
        }
        return new Outcome(ok, first, errors);
    }

    @Test
    void aGoClientSeesTheSameOverLimitErrorFromAKitex4jServerAsFromAGoServer() throws Exception {
        final Outcome go;
        try (GoServer server = GoPeers.server("--limit-qps", "10")) {
            go = burst(server.address());
        }
        final Outcome java;
        try (KitexServer server = KitexServer.builder().address("127.0.0.1", 0)
                .service(EchoServer.class, new EchoServerHandler("java-limited"))
                .maxQps(10).shutdownHook(false).exitWait(Duration.ZERO).build().startBlocking()) {
            java = burst("127.0.0.1:" + server.port());
            assertThat(server.rejections().get(RejectionKind.QPS_OVER_LIMIT)).isEqualTo(40L - java.ok());
        }
        logger.info("Go server: {}; kitex4j server: {}", go, java);
        assertThat(go.errors()).isNotEmpty().allSatisfy(e -> assertThat(e).startsWith(OVER_LIMIT_PREFIX));
        assertThat(java.errors()).isNotEmpty().allSatisfy(e -> assertThat(e).startsWith(OVER_LIMIT_PREFIX));
        // 10 tokens after a second idle, 11 if a tick lands during the burst.
        assertThat(go.ok()).isBetween(10, 12);
        assertThat(java.ok()).isBetween(10, 12);
        assertThat(java.firstFailure()).isBetween(go.firstFailure() - 1, go.firstFailure() + 1);
    }
}
