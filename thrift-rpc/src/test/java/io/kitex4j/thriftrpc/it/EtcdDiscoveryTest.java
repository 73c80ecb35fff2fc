package io.kitex4j.thriftrpc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kitex4j servers registered in a real etcd through {@link EtcdRegistry}, called by a kitex4j
 * client that finds them through {@link EtcdResolver}.
 */
@ExtendWith(NettyLeakDetection.class)
class EtcdDiscoveryTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private EtcdRegistry registry;
    private EtcdResolver resolver;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String service;

    @BeforeEach
    void setUp(TestInfo test) {
        final EtcdClientConfig etcd = EtcdClientConfig.of(ETCD.endpoints().get(0));
        // env: no KITEX_IP_TO_REGISTRY from the build machine.
        registry = EtcdRegistry.builder().etcd(etcd).env(name -> null).build();
        resolver = EtcdResolver.builder().etcd(etcd).build();
        service = "it-" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        resolver.close();
        registry.close();
    }

    private KitexServer server(String name, int weight, Duration exitWait) {
        final InteropHandler handler = new InteropHandler(name);
        final KitexServer server = KitexServer.builder().address("127.0.0.1", 0)
                .service(InteropService.class, handler)
                .registry(registry, service).weight(weight)
                .exitWait(exitWait).shutdownHook(false).build().startBlocking();
        toClose.add(handler);
        toClose.add(server);
        return server;
    }

    private KitexClient client(Transport transport) {
        final KitexClient client = KitexClient.builder().service(service).resolver(resolver).transport(transport)
                .connectTimeout(Duration.ofSeconds(1)).rpcTimeout(Duration.ofSeconds(10)).build();
        toClose.add(client);
        return client;
    }

    @Test
    void callsReachARegisteredServer() throws Exception {
        server("only", 10, Duration.ZERO);
        final InteropService.Iface stub = client(Transport.FRAMED).stub(InteropService.Iface.class);
        assertThat(stub.callInfo().getServerName()).isEqualTo("only");
        assertThat(stub.echoString("found")).isEqualTo("found");
    }

    @Test
    void weightedSelectionAcrossThreeServers() throws Exception {
        server("w1", 1, Duration.ZERO);
        server("w2", 2, Duration.ZERO);
        server("w3", 3, Duration.ZERO);
        final InteropService.Iface stub = client(Transport.TTHEADER_FRAMED).stub(InteropService.Iface.class);
        // Until the client's view holds all three (one picker from then on).
        final Map<String, Integer> warmUp = new HashMap<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            warmUp.merge(stub.callInfo().getServerName(), 1, Integer::sum);
            return warmUp.size() == 3;
        });
        final Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 6000; i++) {
            counts.merge(stub.callInfo().getServerName(), 1, Integer::sum);
        }
        assertThat(counts.get("w1")).isBetween(950, 1050);
        assertThat(counts.get("w2")).isBetween(1900, 2100);
        assertThat(counts.get("w3")).isBetween(2850, 3150);
    }

    static Stream<Arguments> shutdownCases() {
        // With an exit wait the client drops the instance before it stops listening; without one,
        // calls race the shutdown and the client's retries must absorb it.
        return Stream.of(Arguments.of(Transport.FRAMED, 1000), Arguments.of(Transport.TTHEADER_FRAMED, 1000),
                Arguments.of(Transport.FRAMED, 0), Arguments.of(Transport.TTHEADER_FRAMED, 0));
    }

    @ParameterizedTest
    @MethodSource("shutdownCases")
    void gracefulShutdownUnderLoadLosesNoCall(Transport transport, int exitWaitMillis) throws Exception {
        final KitexServer first = server("first", 10, Duration.ofMillis(exitWaitMillis));
        final KitexClient client = client(transport);
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        assertThat(stub.callInfo().getServerName()).isEqualTo("first");

        final AtomicBoolean running = new AtomicBoolean(true);
        final LongAdder ok = new LongAdder();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
        final List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            final Thread thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        final String name = stub.callInfo().getServerName();
                        servedBy.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
                        ok.increment();
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }, "load-" + t);
            thread.start();
            load.add(thread);
        }
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> ok.sum() > 200);
            server("second", 10, Duration.ofSeconds(1));
            await().atMost(Duration.ofSeconds(10)).until(() -> servedBy.containsKey("second"));
            // Deregisters, keeps serving for the exit wait, stops listening, drains.
            first.stop().get();
            final int secondBefore = servedBy.get("second").get();
            await().atMost(Duration.ofSeconds(10)).until(() -> servedBy.get("second").get() > secondBefore + 200);
        } finally {
            running.set(false);
            for (Thread t : load) {
                t.join(10_000);
            }
        }
        assertThat(failures).as("failed calls").isEmpty();
        assertThat(servedBy.get("first").get()).isPositive();
        assertThat(ok.sum()).isGreaterThan(400);
    }
}
