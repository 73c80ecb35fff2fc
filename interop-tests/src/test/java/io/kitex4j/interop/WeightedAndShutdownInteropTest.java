package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.EchoServerHandler;
import io.kitex4j.thriftrpc.testing.InteropHandler;

/** Weighted selection 1:2:3 and graceful shutdown, both ways, through etcd discovery. */
class WeightedAndShutdownInteropTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final Map<String, EchoServerHandler> echoHandlers = new ConcurrentHashMap<>();
    private String service;
    private String endpoint;
    private EtcdRegistry registry;
    private EtcdResolver resolver;

    @BeforeEach
    void setUp(TestInfo test) {
        service = "ws-" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
        endpoint = ETCD.endpoints().get(0);
        registry = EtcdRegistry.builder().etcd(EtcdClientConfig.of(endpoint)).env(name -> null).build();
        resolver = EtcdResolver.builder().etcd(EtcdClientConfig.of(endpoint)).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        resolver.close();
        registry.close();
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private KitexServer javaServer(String name, int weight, Duration exitWait) {
        final InteropHandler handler = closeLater(new InteropHandler(name));
        return closeLater(KitexServer.builder().address("127.0.0.1", 0)
                .service(InteropService.class, handler).service(EchoServer.class, echoHandlers.computeIfAbsent(name, EchoServerHandler::new))
                .registry(registry, service).weight(weight).exitWait(exitWait).shutdownHook(false).build()
                .startBlocking());
    }

    private GoServer goServer(String name, int weight, String... more) {
        final List<String> args = new ArrayList<>(List.of("--etcd", endpoint, "--service", service, "--name", name,
                "--weight", String.valueOf(weight)));
        args.addAll(List.of(more));
        return closeLater(GoPeers.server(args.toArray(String[]::new)));
    }

    @Test
    void goClientSpreadsCallsOverJavaServersByWeight() {
        javaServer("w1", 1, Duration.ZERO);
        javaServer("w2", 2, Duration.ZERO);
        javaServer("w3", 3, Duration.ZERO);
        final GoClientRun run = GoPeers.client("--etcd", endpoint, "--service", service, "--scenario", "weighted",
                "--count", "6000", "--concurrency", "4", "--quiet", "--transport", "ttheader-framed");
        final JsonNode summary = run.summary();
        assertThat(summary.get("ok").asInt()).as("%s", run).isEqualTo(6000);
        final JsonNode servers = summary.get("servers");
        assertThat(servers.get("w1").asInt()).isBetween(950, 1050);
        assertThat(servers.get("w2").asInt()).isBetween(1900, 2100);
        assertThat(servers.get("w3").asInt()).isBetween(2850, 3150);
    }

    @Test
    void javaClientSpreadsCallsOverGoServersByWeight() throws Exception {
        goServer("g1", 1);
        goServer("g2", 2);
        goServer("g3", 3);
        final KitexClient client = closeLater(KitexClient.builder().service(service).resolver(resolver)
                .transport(Transport.FRAMED).rpcTimeout(Duration.ofSeconds(5)).build());
        final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
        final Map<String, Integer> warmUp = new HashMap<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            warmUp.merge(echo.Echo(new Request("whoami", "")).getMsg(), 1, Integer::sum);
            return warmUp.size() == 3;
        });
        final Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 6000; i++) {
            counts.merge(echo.Echo(new Request("whoami", "")).getMsg(), 1, Integer::sum);
        }
        assertThat(counts.get("g1")).isBetween(950, 1050);
        assertThat(counts.get("g2")).isBetween(1900, 2100);
        assertThat(counts.get("g3")).isBetween(2850, 3150);
    }

    /**
     * A Go client under load while a kitex4j server leaves: it deregisters, keeps serving for its exit wait (6 s,
     * longer than the 5 s refresh of Kitex's resolver cache), then stops. No call may fail.
     */
    @Test
    void goClientLosesNoCallWhenAJavaServerShutsDown() throws Exception {
        final KitexServer first = javaServer("first", 10, Duration.ofSeconds(6));
        javaServer("second", 10, Duration.ofSeconds(6));
        final CompletableFuture<GoClientRun> load = CompletableFuture.supplyAsync(() -> GoPeers.client(
                "--etcd", endpoint, "--service", service, "--scenario", "weighted", "--duration", "12s",
                "--concurrency", "4", "--quiet", "--transport", "ttheader-framed"));
        // The Go client has found both servers and is calling them.
        await().atMost(Duration.ofSeconds(10))
               .until(() -> echoHandlers.get("first").echoes() >= 20 && echoHandlers.get("second").echoes() >= 20);
        first.close();
        final GoClientRun run = load.get();
        final JsonNode summary = run.summary();
        assertThat(summary.get("failed").asInt()).as("%s", run).isZero();
        assertThat(summary.get("ok").asInt()).isGreaterThan(100);
        assertThat(summary.get("servers").has("first")).isTrue();
        assertThat(summary.get("servers").has("second")).isTrue();
    }

    /** A kitex4j client under load while a Go server stops gracefully (SIGTERM: deregister, exit wait, close). */
    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"FRAMED", "TTHEADER_FRAMED"})
    void javaClientLosesNoCallWhenAGoServerShutsDown(Transport transport) throws Exception {
        final GoServer first = goServer("first", 10, "--exit-wait", "3s");
        goServer("second", 10, "--exit-wait", "3s");
        final KitexClient client = closeLater(KitexClient.builder().service(service).resolver(resolver)
                .transport(transport).rpcTimeout(Duration.ofSeconds(5)).build());
        final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
        final Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            servedBy.computeIfAbsent(echo.Echo(new Request("whoami", "")).getMsg(), n -> new AtomicInteger())
                    .incrementAndGet();
            return servedBy.size() == 2;
        });
        final AtomicBoolean running = new AtomicBoolean(true);
        final LongAdder ok = new LongAdder();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            final Thread thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        final String name = echo.Echo(new Request("whoami", "")).getMsg();
                        servedBy.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
                        ok.increment();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }, "load-" + t);
            thread.start();
            threads.add(thread);
        }
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> ok.sum() > 200);
            first.stopGracefully(Duration.ofSeconds(20));
            final long afterStop = servedBy.get("second").get();
            await().atMost(Duration.ofSeconds(10)).until(() -> servedBy.get("second").get() > afterStop + 200);
        } finally {
            running.set(false);
            for (Thread t : threads) {
                t.join();
            }
        }
        assertThat(failures).as("failed calls").isEmpty();
        assertThat(ok.sum()).isGreaterThan(400);
    }
}
