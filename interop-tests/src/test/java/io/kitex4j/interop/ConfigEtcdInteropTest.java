package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.configetcd.ConfigEvent;
import io.kitex4j.configetcd.EtcdClientPolicies;
import io.kitex4j.configetcd.EtcdConfigWatcher;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.governance.ClientGovernance;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.client.KitexClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * One config-etcd key drives a Go Kitex client (config-etcd v0.2.0's client suite, {@code cmd/client
 * -config-etcd}) and a kitex4j client ({@link EtcdConfigWatcher}) the same way, against a Go server that
 * stalls every call 200 ms: {@code rpc_timeout} 50 ms for {@code Echo} (both time out), then 1000 ms (both
 * succeed, within a second of the put), then a malformed value (both keep 1000 ms, each with a WARN), then 50 ms
 * again.
 */
class ConfigEtcdInteropTest {

    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void closeClients() throws Exception {
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }


    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final String CALLER = "cfg-caller";
    private static final String CALLEE = "cfg-callee";
    private static final String KEY = "/KitexConfig/" + CALLER + "/" + CALLEE + "/rpc_timeout";
    private static final String SHORT = "{\"Echo\":{\"rpc_timeout_ms\":50,\"conn_timeout_ms\":1000}}";
    private static final String LONG = "{\"Echo\":{\"rpc_timeout_ms\":1000,\"conn_timeout_ms\":1000}}";
    private static final String MALFORMED = "{\"Echo\":{\"rpc_timeout_ms\":\"fast\",\"conn_timeout_ms\":1000}}";
    private static final long STALL_MS = 200;

    /** One finished call: when it finished (ms since the test's start), whether it succeeded, how long it took. */
    record Call(long atMs, boolean ok, double ms, String error) {}

    @Test
    void sameRpcTimeoutKeyChangesGoAndJavaClientsAlike() throws Exception {
        put(KEY, SHORT);
        final ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        final Logger watcherLog = (Logger) LoggerFactory.getLogger(EtcdConfigWatcher.class);
        watcherLog.addAppender(log);
        final List<ConfigEvent> events = new CopyOnWriteArrayList<>();
        final List<Call> goCalls = new CopyOnWriteArrayList<>();
        final List<Call> javaCalls = new CopyOnWriteArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Path goErr = GoPeers.logDir().resolve("config-etcd-client-" + System.nanoTime() + ".log");
        Process go = null;
        try (GoPeers.GoServer server = GoPeers.server("-stall-calls", "*", "-stall", STALL_MS + "ms");
             EtcdConfigWatcher watcher = EtcdConfigWatcher.builder()
                     .endpoints(ETCD.endpoints().toArray(String[]::new)).listener(events::add).build();
             EtcdClientPolicies policies = watcher.clientPolicies(CALLER, CALLEE)) {
            // The client's own 5 s is overridden by the key (the provider wins over the builder's default).
            final ClientGovernance governance = ClientGovernance.builder().policies(policies).build();
            final KitexClient client = KitexClient.builder().service(CALLEE).fromService(CALLER)
                    .addresses(server.address()).rpcTimeout(Duration.ofSeconds(5))
                    .middleware(governance.middleware()).timeoutProvider(governance.timeoutProvider())
                    .instanceGate(governance.instanceGate()).build();
            closeLater.add(client);
            assertThat(policies.current().timeout("Echo").rpcTimeout()).isEqualTo(Duration.ofMillis(50));

            // -timeout 0: no client.WithRPCTimeout, which would lock the RPC timeout against config-etcd's provider.
            go = new ProcessBuilder(GoPeers.binaries().resolve("client").toString(), "-addr", server.address(),
                    "-timeout", "0", "-config-etcd", String.join(",", ETCD.endpoints()), "-caller-service", CALLER,
                    "-service", CALLEE, "-scenario", "echo", "-per-call", "-interval", "100ms", "-duration", "8s")
                    .redirectError(goErr.toFile()).start();
            // The clock starts with the Go client (the Go peers were built, and the server started, before).
            final long t0 = System.nanoTime();
            final Process goProcess = go;
            final Thread goReader = new Thread(() -> readGoLines(goProcess, t0, goCalls), "go-client-stdout");
            goReader.setDaemon(true);
            goReader.start();
            final Thread javaCaller = new Thread(() -> {
                final long deadline = t0 + TimeUnit.SECONDS.toNanos(8);
                while (!stop.get() && System.nanoTime() < deadline) {
                    final long start = System.nanoTime();
                    String error = null;
                    try {
                        client.stub(EchoServer.Iface.class).Echo(new Request("echo", "hi"));
                    } catch (Exception e) {
                        error = e.toString();
                    }
                    final long end = System.nanoTime();
                    javaCalls.add(new Call(ms(end - t0), error == null, (end - start) / 1e6, error));
                    sleepUntil(start + TimeUnit.MILLISECONDS.toNanos(100));
                }
            }, "java-caller");
            javaCaller.start();

            sleepUntil(t0 + TimeUnit.MILLISECONDS.toNanos(2000));
            final long putLong = ms(System.nanoTime() - t0);
            put(KEY, LONG);
            sleepUntil(t0 + TimeUnit.MILLISECONDS.toNanos(4000));
            final long putMalformed = ms(System.nanoTime() - t0);
            put(KEY, MALFORMED);
            sleepUntil(t0 + TimeUnit.MILLISECONDS.toNanos(6000));
            final long putShort = ms(System.nanoTime() - t0);
            put(KEY, SHORT);

            assertThat(go.waitFor(30, TimeUnit.SECONDS)).as("go client finished").isTrue();
            goReader.join(5000);
            stop.set(true);
            javaCaller.join(10_000);
            final String goStderr = Files.readString(goErr);

            System.out.printf("puts at %d (1000 ms), %d (malformed), %d (50 ms) ms%n", putLong, putMalformed, putShort);
            for (String side : List.of("go", "java")) {
                final List<Call> calls = side.equals("go") ? goCalls : javaCalls;
                System.out.println(side + " calls: " + calls.stream()
                        .map(c -> c.atMs() + (c.ok() ? "ok" : "x") + Math.round(c.ms())).toList());
                // 50 ms: every call that ended before the change timed out, well before the server's 200 ms.
                final List<Call> before = between(calls, 0, putLong);
                assertThat(before).as(side + " before the change").hasSizeGreaterThanOrEqualTo(5)
                        .allSatisfy(c -> {
                            assertThat(c.ok()).as(side + " call at %d ms", c.atMs()).isFalse();
                            assertThat(c.ms()).isLessThan(STALL_MS);
                        });
                // 1000 ms: the first success ends at most about a second (+ the stall, + one pacing interval) after the put.
                final Call firstOk = calls.stream().filter(c -> c.atMs() > putLong && c.ok()).findFirst().orElseThrow(
                        () -> new AssertionError(side + ": no call succeeded after the change"));
                final long applied = firstOk.atMs() - putLong - STALL_MS;
                System.out.println(side + ": first call with the new timeout ended " + (firstOk.atMs() - putLong)
                        + " ms after the put (about " + applied + " ms to apply, at most)");
                assertThat(applied).as(side + " applied within a second").isLessThan(1000);
                // Steady on 1000 ms, and the malformed value changes nothing.
                assertThat(between(calls, firstOk.atMs() + 1, putShort)).as(side + " on 1000 ms")
                        .hasSizeGreaterThanOrEqualTo(10).allSatisfy(c -> assertThat(c.ok())
                                .as(side + " call at %d ms: %s", c.atMs(), c.error()).isTrue());
                // And the watch still follows the key after the bad value: back to 50 ms.
                assertThat(between(calls, putShort + 1000, Long.MAX_VALUE)).as(side + " back on 50 ms")
                        .isNotEmpty().allSatisfy(c -> assertThat(c.ok()).isFalse());
            }
            // Go: every failure a timeout, as Kitex classifies it.
            assertThat(goCalls).filteredOn(c -> !c.ok()).allSatisfy(c -> assertThat(c.error()).contains("timeout"));
            // Both warn about the malformed value, naming the key.
            assertThat(goStderr).contains(KEY + " client etcd rpc timeout: unmarshal data");
            assertThat(log.list).filteredOn(e -> e.getLevel() == Level.WARN)
                    .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("config key " + KEY + " rejected")
                            .contains("[\"Echo\"].rpc_timeout_ms: \"fast\""));
            assertThat(events).extracting(ConfigEvent::type).containsExactly(ConfigEvent.Type.APPLIED,
                    ConfigEvent.Type.APPLIED, ConfigEvent.Type.REJECTED, ConfigEvent.Type.APPLIED);
        } finally {
            stop.set(true);
            watcherLog.detachAppender(log);
            if (go != null && go.isAlive()) {
                go.destroyForcibly();
            }
        }
    }

    /**
     * The {@code circuit_break} key: against a Go server that fails every call, neither client's breaker opens under
     * Kitex's default (minimum sample 200); once the key sets {@code min_sample} 10 for {@code Echo}, both open
     * ({@code forbidden by circuitbreaker: service circuitbreak}) within a second; a malformed value leaves them as
     * they are.
     */
    @Test
    void sameCircuitBreakKeyOpensGoAndJavaBreakersAlike() throws Exception {
        final String caller = "cb-caller";
        final String callee = "cb-callee";
        final String key = "/KitexConfig/" + caller + "/" + callee + "/circuit_break";
        final List<Call> goCalls = new CopyOnWriteArrayList<>();
        final List<Call> javaCalls = new CopyOnWriteArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Path goErr = GoPeers.logDir().resolve("config-etcd-cb-client-" + System.nanoTime() + ".log");
        Process go = null;
        try (GoPeers.GoServer server = GoPeers.server("-fail-calls", "*");
             EtcdConfigWatcher watcher = EtcdConfigWatcher.builder()
                     .endpoints(ETCD.endpoints().toArray(String[]::new)).build()) {
            final EtcdClientPolicies policies = watcher.clientPolicies(caller, callee);
            final io.kitex4j.governance.ServiceCircuitBreakers breakers =
                    io.kitex4j.governance.ServiceCircuitBreakers.builder().policies(policies).build();
            try (KitexClient client = KitexClient.builder().service(callee).fromService(caller)
                    .addresses(server.address()).rpcTimeout(Duration.ofSeconds(5)).middleware(breakers.middleware())
                    .build()) {
                go = new ProcessBuilder(GoPeers.binaries().resolve("client").toString(), "-addr", server.address(),
                        "-config-etcd", String.join(",", ETCD.endpoints()), "-caller-service", caller,
                        "-service", callee, "-scenario", "echo", "-per-call", "-interval", "50ms", "-duration", "5s")
                        .redirectError(goErr.toFile()).start();
                final long t0 = System.nanoTime();
                final Process goProcess = go;
                final Thread goReader = new Thread(() -> readGoLines(goProcess, t0, goCalls), "go-client-stdout");
                goReader.setDaemon(true);
                goReader.start();
                final Thread javaCaller = new Thread(() -> {
                    final long deadline = t0 + TimeUnit.SECONDS.toNanos(5);
                    final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
                    while (!stop.get() && System.nanoTime() < deadline) {
                        final long start = System.nanoTime();
                        String error = null;
                        try {
                            echo.Echo(new Request("echo", "hi"));
                        } catch (Exception e) {
                            error = e.toString();
                        }
                        final long end = System.nanoTime();
                        javaCalls.add(new Call(ms(end - t0), error == null, (end - start) / 1e6, error));
                        sleepUntil(start + TimeUnit.MILLISECONDS.toNanos(50));
                    }
                }, "java-caller");
                javaCaller.start();

                sleepUntil(t0 + TimeUnit.MILLISECONDS.toNanos(1500));
                final long putMs = ms(System.nanoTime() - t0);
                put(key, "{\"Echo\":{\"enable\":true,\"err_rate\":0.5,\"min_sample\":10}}");
                sleepUntil(t0 + TimeUnit.MILLISECONDS.toNanos(3500));
                put(key, "{\"Echo\":{\"enable\":\"yes\"}}");

                assertThat(go.waitFor(30, TimeUnit.SECONDS)).as("go client finished").isTrue();
                goReader.join(5000);
                javaCaller.join(10_000);
                System.out.println("circuit_break put at " + putMs + " ms");
                for (String side : List.of("go", "java")) {
                    final List<Call> calls = side.equals("go") ? goCalls : javaCalls;
                    System.out.println(side + " calls: " + calls.stream()
                            .map(c -> c.atMs() + (isOpen(c) ? "open" : c.ok() ? "ok" : "x")).toList());
                    // Default breaker (min sample 200): every call reaches the failing server.
                    assertThat(between(calls, 0, putMs)).as(side + " before the key").hasSizeGreaterThanOrEqualTo(10)
                            .allSatisfy(c -> {
                                assertThat(c.ok()).isFalse();
                                assertThat(isOpen(c)).as(side + " call at %d ms: %s", c.atMs(), c.error()).isFalse();
                            });
                    final Call firstOpen = calls.stream().filter(ConfigEtcdInteropTest::isOpen).findFirst().orElseThrow(
                            () -> new AssertionError(side + ": the breaker never opened"));
                    System.out.println(side + ": breaker open " + (firstOpen.atMs() - putMs) + " ms after the put");
                    assertThat(firstOpen.atMs() - putMs).as(side + " opened within a second").isLessThan(1000);
                    // Open from then on (cooling lasts 5 s), the malformed value changing nothing.
                    assertThat(between(calls, firstOpen.atMs(), Long.MAX_VALUE)).as(side + " open")
                            .hasSizeGreaterThanOrEqualTo(20).allSatisfy(c -> assertThat(isOpen(c))
                                    .as(side + " call at %d ms: %s", c.atMs(), c.error()).isTrue());
                }
                assertThat(Files.readString(goErr)).contains(key + " client etcd circuit breaker: unmarshal data");
            }
        } finally {
            stop.set(true);
            if (go != null && go.isAlive()) {
                go.destroyForcibly();
            }
        }
    }

    /**
     * The {@code retry} key as a Go client applies it live: after the key sets failure retry {@code max_retry_times}
     * 2 for {@code Echo}, each call that times out against a stalling Go server reaches it three times ({@code
     * RetryReq} "", "1", "2"); before, once. A kitex4j client through {@code ClientGovernance} and its own key does
     * the same: the servers log the same sequence from both.
     */
    @Test
    void retryKeyAppliesLiveToGoAndJavaClientsAlike() throws Exception {
        final String caller = "retry-caller";
        final String callee = "retry-callee";
        final String key = "/KitexConfig/" + caller + "/" + callee + "/retry";
        final Path calls = GoPeers.logDir().resolve("config-etcd-retry-calls-" + System.nanoTime() + ".jsonl");
        final Path goErr = GoPeers.logDir().resolve("config-etcd-retry-client-" + System.nanoTime() + ".log");
        try (GoPeers.GoServer server = GoPeers.server("-stall-calls", "*", "-stall", "300ms", "-log-calls",
                calls.toString());
             EtcdConfigWatcher watcher = EtcdConfigWatcher.builder()
                     .endpoints(ETCD.endpoints().toArray(String[]::new)).build()) {
            final EtcdClientPolicies policies = watcher.clientPolicies(caller, callee);
            final Process go = new ProcessBuilder(GoPeers.binaries().resolve("client").toString(), "-addr",
                    server.address(), "-timeout", "100ms", "-config-etcd", String.join(",", ETCD.endpoints()),
                    "-caller-service", caller, "-service", callee, "-transport", "ttheader-framed", "-scenario", "echo",
                    "-per-call", "-count", "3",
                    "-interval", "1s").redirectError(goErr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try {
                // The first call reached the server and timed out: now the key.
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> Files.exists(calls) && Files.readAllLines(calls).size() == 1);
                Thread.sleep(150);
                put(key, "{\"Echo\":{\"enable\":true,\"type\":0,\"failure_policy\":{\"stop_policy\":"
                        + "{\"max_retry_times\":2},\"backoff_policy\":{\"backoff_type\":\"none\"}}}}");
                assertThat(go.waitFor(30, TimeUnit.SECONDS)).as("go client finished").isTrue();
            } finally {
                go.destroyForcibly();
            }
            final List<String> retryReqs = retryReqs(calls);
            System.out.println("go server saw RetryReq " + retryReqs);
            assertThat(retryReqs).containsExactly("", "", "1", "2", "", "1", "2");
            assertThat(policies.current().retry("Echo"))
                    .isEqualTo(io.kitex4j.governance.RetryPolicy.failure().maxRetryTimes(2).build());
        }

        // The same sequence with a kitex4j client and its own key: one call before the key, two after.
        final String javaCaller = "retry-caller-java";
        final String javaKey = "/KitexConfig/" + javaCaller + "/" + callee + "/retry";
        final Path javaCalls = GoPeers.logDir().resolve("config-etcd-retry-java-calls-" + System.nanoTime() + ".jsonl");
        try (GoPeers.GoServer server = GoPeers.server("-stall-calls", "*", "-stall", "300ms", "-log-calls",
                javaCalls.toString());
             EtcdConfigWatcher watcher = EtcdConfigWatcher.builder()
                     .endpoints(ETCD.endpoints().toArray(String[]::new)).build();
             EtcdClientPolicies policies = watcher.clientPolicies(javaCaller, callee)) {
            final ClientGovernance governance = ClientGovernance.builder().policies(policies).idempotent("*").build();
            final KitexClient client = KitexClient.builder().service(callee).fromService(javaCaller)
                    .addresses(server.address()).transport(io.kitex4j.core.Transport.TTHEADER_FRAMED)
                    .rpcTimeout(Duration.ofMillis(100)).middleware(governance.middleware())
                    .timeoutProvider(governance.timeoutProvider()).instanceGate(governance.instanceGate()).build();
            closeLater.add(client);
            final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
            assertThatThrownBy(() -> echo.Echo(new Request("echo", "hi"))).isInstanceOf(RpcTimeoutException.class);
            put(javaKey, "{\"Echo\":{\"enable\":true,\"type\":0,\"failure_policy\":{\"stop_policy\":"
                    + "{\"max_retry_times\":2},\"backoff_policy\":{\"backoff_type\":\"none\"}}}}");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> policies.current().retry("Echo") != null);
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> echo.Echo(new Request("echo", "hi"))).isInstanceOf(RpcTimeoutException.class);
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> Files.exists(javaCalls) && Files.readAllLines(javaCalls).size() >= 7);
            Thread.sleep(200);
            final List<String> retryReqs = retryReqs(javaCalls);
            System.out.println("go server saw RetryReq from kitex4j " + retryReqs);
            assertThat(retryReqs).containsExactly("", "", "1", "2", "", "1", "2");
        }
    }

    /** The {@code RetryReq} of each call a Go server's {@code -log-calls} file records, in order. */
    private static List<String> retryReqs(Path callLog) throws IOException {
        final List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(callLog)) {
            out.add(GoPeers.JSON.readTree(line).path("retryReq").asText());
        }
        return out;
    }

    private static boolean isOpen(Call c) {
        return !c.ok() && c.error() != null && c.error().contains("forbidden by circuitbreaker: service circuitbreak");
    }

    private static List<Call> between(List<Call> calls, long fromMs, long toMs) {
        final List<Call> out = new ArrayList<>();
        for (Call c : calls) {
            if (c.atMs() >= fromMs && c.atMs() < toMs) {
                out.add(c);
            }
        }
        return out;
    }

    private static void readGoLines(Process p, long t0, List<Call> calls) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                final long at = ms(System.nanoTime() - t0);
                final JsonNode n = GoPeers.JSON.readTree(line);
                if ("call".equals(n.path("event").asText())) {
                    calls.add(new Call(at, n.path("ok").asBoolean(), n.path("ms").asDouble(),
                            n.path("errorKind").asText() + ": " + n.path("err").asText()));
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static void sleepUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void put(String key, String value) throws Exception {
        try (Client c = ETCD.newClient()) {
            c.getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                    ByteSequence.from(value, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        }
    }
}
