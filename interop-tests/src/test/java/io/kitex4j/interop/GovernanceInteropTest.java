package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.governance.ClientGovernance;
import io.kitex4j.governance.ClientPolicies;
import io.kitex4j.governance.RetryClassifier;
import io.kitex4j.governance.RetryPolicy;
import io.kitex4j.governance.TimeoutPolicy;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.server.ServerCallContext;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kitex4j's retries with Go Kitex v0.16 peers ({@code go/cmd/server} with {@code -fail-calls}, {@code
 * -stall-calls}, {@code -log-calls}, {@code -downstream-retry}; {@code go/cmd/client -retry}): a retry goes to
 * the other instance and stops at the limit; the retried request carries {@code RPC_PERSIST_RetryReq} as Go
 * reads it; and chain stop holds across Java → Go → Java and Go → Java → Go, counted by the calls each
 * server received.
 */
class GovernanceInteropTest {

    static final RetryClassifier REMOTE_ERRORS = (ctx, result, error) -> error instanceof RemoteApplicationException;

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private GoServer go(String name, String... flags) {
        final List<String> args = new ArrayList<>(List.of("--name", name, "--log-calls", log(name).toString()));
        args.addAll(List.of(flags));
        final GoServer s = GoPeers.server(args.toArray(String[]::new));
        closeables.add(s);
        return s;
    }

    private Path log(String name) {
        return dir.resolve(name + "-calls.jsonl");
    }

    /** The calls a Go server logged (-log-calls). */
    private List<JsonNode> calls(String name) {
        final Path p = log(name);
        if (!Files.exists(p)) {
            return List.of();
        }
        try {
            final List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(p)) {
                if (!line.isBlank()) {
                    out.add(GoPeers.JSON.readTree(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> retryReqs(List<JsonNode> calls) {
        return calls.stream().map(c -> c.path("retryReq").asText("")).toList();
    }

    private static ClientGovernance governance(RetryPolicy policy, RetryClassifier classifier, Duration rpcTimeout) {
        final ClientPolicies.Builder p = ClientPolicies.builder().retry("*", policy);
        if (rpcTimeout != null) {
            p.timeout("*", new TimeoutPolicy(rpcTimeout, null));
        }
        final ClientGovernance.Builder b = ClientGovernance.builder().policies(p.build()).idempotent("*");
        if (classifier != null) {
            b.classifier(classifier);
        }
        return b.build();
    }

    private KitexClient client(ClientGovernance g, String... addresses) {
        final KitexClient c = KitexClient.builder().service("interop").fromService("java-governance")
                .addresses(addresses).transport(Transport.TTHEADER_FRAMED).connectTimeout(Duration.ofSeconds(1))
                .rpcTimeout(Duration.ofSeconds(10)).middleware(g.middleware()).timeoutProvider(g.timeoutProvider())
                .build();
        closeables.add(c);
        return c;
    }

    private String serve(InteropHandler handler) {
        final KitexServer server = KitexServer.builder().service(InteropService.class, handler)
                .executor(Executors.newCachedThreadPool(), true).shutdownHook(false).build();
        server.start().join();
        closeables.add(handler);
        closeables.add(0, server);
        return "127.0.0.1:" + server.localAddress().getPort();
    }

    @Test
    void aFailedCallIsRetriedOnTheOtherGoInstanceCarryingRetryReq() throws Exception {
        final GoServer failing = go("go-failing", "--fail-calls", "*");
        final GoServer healthy = go("go-healthy");
        final InteropService.Iface stub = client(governance(RetryPolicy.failure().build(), REMOTE_ERRORS, null),
                failing.address(), healthy.address()).stub(InteropService.Iface.class);
        // Few enough calls that the failures stay under the retry circuit break's minimum of 10 samples.
        for (int i = 0; i < 4; i++) {
            final CallInfo info = stub.callInfo();
            assertThat(info.getServerName()).isEqualTo("go-healthy");
        }
        final List<JsonNode> failed = calls("go-failing");
        final List<JsonNode> served = calls("go-healthy");
        assertThat(failed).isNotEmpty();
        // No retry went to the failing instance again (a further attempt avoids the instances already used).
        assertThat(retryReqs(failed)).containsOnly("");
        // Each failed first attempt was retried on the healthy one, marked as Go marks a retry.
        assertThat(retryReqs(served)).filteredOn("1"::equals).hasSize(failed.size());
        assertThat(served).hasSize(4);
        assertThat(served.stream().filter(c -> "1".equals(c.path("retryReq").asText())))
                .allSatisfy(c -> assertThat(c.path("persistents").path("RetryReq").asText()).isEqualTo("1"));
    }

    @Test
    void retriesStopAtMaxRetryTimesAgainstAGoServer() {
        final GoServer down = go("go-down", "--fail-calls", "*");
        final InteropService.Iface stub = client(governance(RetryPolicy.failure().maxRetryTimes(3).build(),
                REMOTE_ERRORS, null), down.address()).stub(InteropService.Iface.class);
        assertThatThrownBy(stub::callInfo).isInstanceOf(RemoteApplicationException.class)
                .hasMessageContaining("fail-calls");
        assertThat(retryReqs(calls("go-down"))).containsExactly("", "1", "2", "3");
    }

    @Test
    void theRetryCircuitBreakStopsTheSameRetryAsGosInTheSameRun() {
        // Every 3rd call a server receives fails; one retry allowed; retries may be 30% of the attempts.
        final GoServer forJava = go("go-cb-java", "--fail-calls", "%3");
        final GoServer forGo = go("go-cb-go", "--fail-calls", "%3");
        final InteropService.Iface stub = client(governance(RetryPolicy.failure().maxRetryTimes(1)
                .retryBreakerErrorRate(0.3).build(), REMOTE_ERRORS, null), forJava.address())
                .stub(InteropService.Iface.class);
        final List<String> javaRefused = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            try {
                stub.callInfo();
            } catch (RemoteApplicationException e) {
                javaRefused.add(i + ": " + e.extraMessage());
            } catch (org.apache.thrift.TException e) {
                throw new AssertionError(e);
            }
        }
        final GoClientRun run = GoPeers.client("--addr", forGo.address(), "--service", "interop", "--transport",
                "ttheader", "--scenario", "callInfo", "--count", "30", "--timeout", "5s", "--retry", "failure",
                "--max-retry", "1", "--retry-breaker-rate", "0.3", "--retry-all-errors", "--per-call");
        final List<String> goRefused = new ArrayList<>();
        for (JsonNode c : run.calls()) {
            if (!c.path("ok").asBoolean()) {
                final String err = c.path("err").asText();
                goRefused.add(c.path("i").asInt() + ": " + err.substring(err.indexOf('[') + 1, err.indexOf(']')));
            }
        }
        assertThat(run.calls()).as("%s", run).hasSize(30);
        assertThat(goRefused).as("%s", run).hasSize(1);
        assertThat(javaRefused).hasSize(1);
        assertThat(goRefused.get(0)).contains("retried 0, retry circuit break, errRate=0.300, sample=30");
        assertThat(javaRefused.get(0)).endsWith("retried 0, retry circuit break, errRate=0.300, sample=30");
        // The same call of the run (Go numbers its calls from 0 or 1: compare the sequence of server calls).
        assertThat(retryReqs(calls("go-cb-java"))).isEqualTo(retryReqs(calls("go-cb-go")));
    }

    /** A kitex4j InteropService whose callInfo stalls, recording the RetryReq each request carried. */
    static final class StallingJava extends InteropHandler {
        final List<String> retryReqs = new CopyOnWriteArrayList<>();
        final long stallMillis;

        StallingJava(String name, long stallMillis) {
            super(name);
            this.stallMillis = stallMillis;
        }

        @Override
        public CallInfo callInfo() {
            final String r = ServerCallContext.current().metainfo().persistentValue("RetryReq");
            retryReqs.add(r == null ? "" : r);
            try {
                Thread.sleep(stallMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.callInfo();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "Go chain stop disabled: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void chainStopJavaToGoToJava(boolean goDisablesChainStop) throws Exception {
        // Java client (failure retry, 300 ms per attempt) -> Go server whose downstream client sends backup
        // requests after 50 ms -> Java server that answers after 800 ms.
        final StallingJava javaServer = new StallingJava("java-end", 800);
        final String javaAddress = serve(javaServer);
        final List<String> flags = new ArrayList<>(List.of("--downstream-retry", "backup", "--downstream-backup-ms", "50"));
        if (goDisablesChainStop) {
            flags.add("--downstream-disable-chain-stop");
        }
        final GoServer middle = go("go-middle", flags.toArray(String[]::new));
        final InteropService.Iface stub = client(governance(RetryPolicy.failure().maxRetryTimes(1).build(), null,
                Duration.ofMillis(300)), middle.address()).stub(InteropService.Iface.class);
        assertThatThrownBy(() -> stub.callInfoVia(javaAddress)).isInstanceOf(RpcTimeoutException.class);
        // Go's first request (not a retry): its call and a backup copy. Go's second request is the Java client's
        // retry (RetryReq=1): Go's backup retryer must not send a copy of it, unless its chain stop is disabled.
        assertThat(retryReqs(calls("go-middle"))).containsExactly("", "1");
        final int expected = goDisablesChainStop ? 4 : 3;
        await().atMost(Duration.ofSeconds(5)).until(() -> javaServer.retryReqs.size() >= expected);
        Thread.sleep(1000);
        assertThat(javaServer.retryReqs).containsExactlyInAnyOrderElementsOf(goDisablesChainStop
                ? List.of("", "1", "1", "1") : List.of("", "1", "1"));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "kitex4j chain stop disabled: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void chainStopGoToJavaToGo(boolean javaDisablesChainStop) throws Exception {
        // Go client (failure retry, 300 ms per attempt) -> kitex4j server whose handler calls a Go server through a
        // kitex4j client with failure retry (200 ms per attempt) -> Go server that stalls every call for 600 ms.
        final GoServer end = go("go-end", "--stall-calls", "*", "--stall", "600ms");
        final ClientGovernance inner = governance(RetryPolicy.failure().maxRetryTimes(1)
                .chainStop(!javaDisablesChainStop).build(), null, Duration.ofMillis(200));
        final AtomicInteger javaCalls = new AtomicInteger();
        final InteropHandler javaMiddle = new InteropHandler("java-middle") {
            @Override
            public CallInfo callInfoVia(String target) throws org.apache.thrift.TException {
                javaCalls.incrementAndGet();
                return super.callInfoVia(target);
            }
        }.downstreamClient(b -> b.middleware(inner.middleware()).timeoutProvider(inner.timeoutProvider()));
        final String javaAddress = serve(javaMiddle);
        final GoClientRun run = GoPeers.client("--addr", javaAddress, "--service", "interop", "--transport", "ttheader",
                "--scenario", "callInfoVia", "--msg", end.address(), "--timeout", "300ms", "--retry", "failure",
                "--max-retry", "1");
        assertThat(run.calls()).as("%s", run).hasSize(1);
        assertThat(run.calls().get(0).path("ok").asBoolean(true)).as("%s", run).isFalse();
        final int expected = javaDisablesChainStop ? 4 : 3;
        await().atMost(Duration.ofSeconds(5)).until(() -> javaCalls.get() == 2 && calls("go-end").size() >= expected);
        Thread.sleep(1000);
        assertThat(javaCalls.get()).isEqualTo(2);
        // The kitex4j server's first request: the inner client's call and its retry (RetryReq=1). Its second
        // request is the Go client's retry: the inner client makes one call, which carries the Go marker on
        // (two, with chain stop disabled).
        assertThat(retryReqs(calls("go-end"))).containsExactlyInAnyOrderElementsOf(javaDisablesChainStop
                ? List.of("", "1", "1", "1") : List.of("", "1", "1"));
    }
}
