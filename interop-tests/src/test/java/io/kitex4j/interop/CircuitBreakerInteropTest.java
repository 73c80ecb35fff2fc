package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.kitex4j.governance.CircuitBreakerConfig;
import io.kitex4j.governance.CircuitBreakerEvent;
import io.kitex4j.governance.CircuitBreakerOpenException;
import io.kitex4j.governance.CircuitBreakerState;
import io.kitex4j.governance.ServiceCircuitBreakers;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.thriftrpc.client.KitexClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service circuit breaker against Kitex's, for the same sequence of outcomes in the same run: a Go server
 * that fails chosen calls ({@code -fail-calls}), called once by a Go Kitex client with {@code
 * client.WithCircuitBreaker} ({@code -cb -cb-rate -cb-min-sample -per-call}) and once by a kitex4j client with
 * {@link ServiceCircuitBreakers} of the same thresholds, each against a fresh server. Each call's outcome is
 * reduced to a letter: {@code o} a reply, {@code f} the server's failure, {@code X} rejected by the breaker.
 */
class CircuitBreakerInteropTest {

    private static final Logger logger = LoggerFactory.getLogger(CircuitBreakerInteropTest.class);

    /** Kitex's defaults (0.5, 200) and every call failing from the 51st: the reference run opened at the 200th. */
    @Test
    void opensAtTheSameCallAsKitexWithKitexsDefaults() {
        final String go = goOutcomes("51-100000", 0.5, 200, 260, null);
        final String java = javaOutcomes("51-100000", 0.5, 200, 260, null, new ArrayList<>());
        logger.info("Go:   {}", go);
        logger.info("Java: {}", java);
        assertThat(go.indexOf('X')).as("Go's first rejected call").isEqualTo(200);
        assertThat(java).isEqualTo(go);
    }

    // About a third of the calls fail at first, then more: the error rate crosses 0.4 after the 12th sample.
    private static final String INTERLEAVED = "3,5,9,12,14,15,17,18,20,21,22,24,25,26";

    /** Failures interleaved with successes: the error rate, not a run of failures, opens it. */
    @Test
    void opensAtTheSameCallAsKitexWithInterleavedFailures() {
        final String go = goOutcomes(INTERLEAVED, 0.4, 12, 60, null);
        final String java = javaOutcomes(INTERLEAVED, 0.4, 12, 60, null, new ArrayList<>());
        logger.info("Go:   {}", go);
        logger.info("Java: {}", java);
        assertThat(go).contains("X");
        assertThat(java).isEqualTo(go);
    }

    /**
     * Open, then after the 5 s cooling a probe every 200 ms, and closed after 2 good probes: calls paced every
     * 100 ms, so the rejected run and the probes line up with the pacing, give or take a call of timer jitter.
     */
    @Test
    void closesAgainAsKitexDoesAfterTheCoolingTimeout() {
        final Duration interval = Duration.ofMillis(100);
        // Calls 11-20 fail: open at the 20th (20 samples, half failed); the server answers again afterwards.
        final String go = goOutcomes("11-20", 0.5, 20, 90, interval);
        final List<CircuitBreakerEvent> events = new CopyOnWriteArrayList<>();
        final String java = javaOutcomes("11-20", 0.5, 20, 90, interval, events);
        logger.info("Go:   {}", go);
        logger.info("Java: {}", java);
        assertThat(java.indexOf('X')).isEqualTo(go.indexOf('X')).isEqualTo(20);
        // Closed again: the last calls all succeed, in both.
        assertThat(go).endsWith("ooooooooooo");
        assertThat(java).endsWith("ooooooooooo");
        // The same number of rejections, within one call of pacing jitter (about 5 s / 100 ms of them).
        final long goRejected = go.chars().filter(c -> c == 'X').count();
        final long javaRejected = java.chars().filter(c -> c == 'X').count();
        assertThat(javaRejected).isBetween(goRejected - 2, goRejected + 2);
        assertThat(goRejected).isBetween(45L, 55L);
        assertThat(events).extracting(CircuitBreakerEvent::to).containsExactly(CircuitBreakerState.OPEN,
                CircuitBreakerState.HALF_OPEN, CircuitBreakerState.CLOSED);
    }

    private static String goOutcomes(String failCalls, double rate, int minSample, int count, Duration interval) {
        try (GoServer server = GoPeers.server("--fail-calls", failCalls, "--name", "go-cb")) {
            final List<String> args = new ArrayList<>(List.of("--addr", server.address(), "--count",
                    String.valueOf(count), "--per-call", "--cb", "--cb-rate", String.valueOf(rate), "--cb-min-sample",
                    String.valueOf(minSample), "--timeout", "5s"));
            if (interval != null) {
                args.addAll(List.of("--interval", interval.toMillis() + "ms"));
            }
            final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
            final StringBuilder sb = new StringBuilder();
            for (JsonNode call : run.calls()) {
                final String err = call.path("err").asText("");
                if (call.path("ok").asBoolean()) {
                    sb.append('o');
                } else if (err.equals("forbidden by circuitbreaker: service circuitbreak")) {
                    sb.append('X');
                } else {
                    assertThat(err).as("%s", run).contains("fail-calls");
                    sb.append('f');
                }
            }
            assertThat(sb).as("%s", run).hasSize(count);
            return sb.toString();
        }
    }

    private static String javaOutcomes(String failCalls, double rate, int minSample, int count, Duration interval,
                                       List<CircuitBreakerEvent> events) {
        final ServiceCircuitBreakers breakers = ServiceCircuitBreakers.builder()
                .defaultConfig(new CircuitBreakerConfig(true, rate, minSample)).listener(events::add).build();
        try (GoServer server = GoPeers.server("--fail-calls", failCalls, "--name", "go-cb");
             KitexClient client = KitexClient.builder().service("interop").fromService("java-cb")
                     .addresses(server.address()).rpcTimeout(Duration.ofSeconds(5))
                     .middleware(breakers.middleware()).build()) {
            final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
            final StringBuilder sb = new StringBuilder();
            final long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                if (interval != null) {
                    final long due = start + i * interval.toNanos();
                    for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(wait);
                    }
                }
                try {
                    echo.Echo(new Request("echo", "hello"));
                    sb.append('o');
                } catch (CircuitBreakerOpenException e) {
                    assertThat(e).hasMessage("forbidden by circuitbreaker: service circuitbreak");
                    sb.append('X');
                } catch (Exception e) {
                    assertThat(e.getMessage()).contains("fail-calls");
                    sb.append('f');
                }
            }
            assertThat(breakers.states()).containsOnlyKeys("java-cb/interop/Echo");
            logger.info("Java run took {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            return sb.toString();
        }
    }
}
