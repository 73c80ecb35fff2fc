package io.kitex4j.thriftrpc.it;

import io.kitex4j.core.discovery.Instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.client.RefusedInstanceStats;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Issue 9, defect 9: one of two servers found through a real etcd is killed with SIGKILL (a
 * separate JVM, so its socket dies with the process and its etcd key stays until the lease
 * expires). Calls must stop going to it after the first refused connect, with only a few probes,
 * and come back to its address when a server listens there again or etcd updates the instance.
 *
 * <p>The connects to the dead address are counted from the client's own DEBUG line for each
 * retried attempt ("connect to ADDRESS failed"), which exists independently of the avoidance; so
 * the test measures the same thing with and without it.
 */
@ExtendWith(NettyLeakDetection.class)
class DeadInstanceTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final int THREADS = 4;

    private EtcdRegistry registry;
    private EtcdResolver resolver;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String service;
    private Process child;
    private final LineCounter retries = new LineCounter();
    private final LineCounter availability = new LineCounter();

    /** Counts (and keeps the last few of) the log lines that contain a text. */
    static final class LineCounter extends AppenderBase<ILoggingEvent> {
        final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        final java.util.Set<String> watched = ConcurrentHashMap.newKeySet();

        int count(String text) {
            watched.add(text);
            return counts.computeIfAbsent(text, t -> new AtomicInteger()).get();
        }

        @Override
        protected void append(ILoggingEvent event) {
            final String line = event.getFormattedMessage();
            for (String text : watched) {
                if (line.contains(text)) {
                    counts.computeIfAbsent(text, t -> new AtomicInteger()).incrementAndGet();
                }
            }
        }
    }

    private static Logger logger(String name) {
        return (Logger) LoggerFactory.getLogger(name);
    }

    @BeforeEach
    void setUp(TestInfo test) {
        final EtcdClientConfig etcd = EtcdClientConfig.of(ETCD.endpoints().get(0));
        registry = EtcdRegistry.builder().etcd(etcd).env(name -> null).build();
        resolver = EtcdResolver.builder().etcd(etcd).build();
        service = "dead-" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
        // The retry lines are DEBUG and would be thousands: counted here, not printed.
        final Logger rpcCall = logger("io.kitex4j.thriftrpc.client.RpcCall");
        rpcCall.setLevel(Level.DEBUG);
        rpcCall.setAdditive(false);
        retries.start();
        rpcCall.addAppender(retries);
        availability.start();
        logger("io.kitex4j.thriftrpc.client.RefusedAddresses").addAppender(availability);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (child != null) {
            child.destroyForcibly().waitFor();
        }
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        resolver.close();
        registry.close();
        final Logger rpcCall = logger("io.kitex4j.thriftrpc.client.RpcCall");
        rpcCall.detachAppender(retries);
        rpcCall.setLevel(null);
        rpcCall.setAdditive(true);
        logger("io.kitex4j.thriftrpc.client.RefusedAddresses").detachAppender(availability);
    }

    /** Starts {@link KillableServer} in its own JVM; returns its port once it is registered. */
    private int startChild(String name) throws Exception {
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        child = new ProcessBuilder(List.of(java.toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), KillableServer.class.getName(),
                ETCD.endpoints().get(0), service, name))
                .redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
        final String[] ready = new String[1];
        final Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("READY ") && ready[0] == null) {
                        synchronized (ready) {
                            ready[0] = line;
                            ready.notifyAll();
                        }
                    }
                }
            } catch (Exception e) {
                // the child died
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        synchronized (ready) {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ready[0] == null && child.isAlive() && System.nanoTime() < deadline) {
                ready.wait(100);
            }
        }
        assertThat(ready[0]).as("the child server's READY line").isNotNull();
        return Integer.parseInt(ready[0].substring("READY ".length()).trim());
    }

    private KitexServer server(String name, int port, boolean register) {
        final InteropHandler handler = new InteropHandler(name);
        var b = KitexServer.builder().address("127.0.0.1", port).service(InteropService.class, handler)
                .exitWait(Duration.ZERO).shutdownHook(false);
        if (register) {
            b = b.registry(registry, service);
        }
        final KitexServer server = b.build().startBlocking();
        toClose.add(handler);
        toClose.add(server);
        return server;
    }

    /** Calls on {@link #THREADS} threads until stopped, counting who answered. */
    private final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final LongAdder ok = new LongAdder();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
        final List<Thread> threads = new ArrayList<>();

        Load(InteropService.Iface stub) {
            for (int t = 0; t < THREADS; t++) {
                final Thread thread = new Thread(() -> {
                    while (running.get()) {
                        try {
                            servedBy.computeIfAbsent(stub.callInfo().getServerName(), n -> new AtomicInteger())
                                    .incrementAndGet();
                            ok.increment();
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }
                }, "load-" + t);
                thread.start();
                threads.add(thread);
            }
        }

        int served(String name) {
            final AtomicInteger n = servedBy.get(name);
            return n == null ? 0 : n.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
        }
    }

    @Test
    void killedServerIsAvoidedAfterTheFirstRefusalAndComesBack() throws Exception {
        server("survivor", 0, true);
        final int deadPort = startChild("doomed");
        final String deadAddress = "127.0.0.1:" + deadPort;
        final String refusedLine = "connect to " + deadAddress + " failed";
        retries.count(refusedLine);
        availability.count("Instance " + deadAddress + " is available again (a connection succeeded)");
        availability.count("Instance " + deadAddress + " is available again (etcd updated it)");

        final KitexClient client = KitexClient.builder().service(service).resolver(resolver)
                .connectTimeout(Duration.ofSeconds(1)).rpcTimeout(Duration.ofSeconds(10))
                // A short cap, so that the probe that finds the revived server comes soon.
                .refusedInstanceBackoff(Duration.ofMillis(100), Duration.ofSeconds(2)).build();
        toClose.add(client);

        try (Load load = new Load(client.stub(InteropService.Iface.class))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> load.served("doomed") > 100 && load.served("survivor") > 100);

            // kill -9.
            child.destroyForcibly();
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> retries.count(refusedLine) >= 1);

            // From the first refusal on: a bounded number of calls, all answered by the survivor,
            // with only in-flight connects and probes going to the dead port.
            final int refusedBefore = retries.count(refusedLine);
            final RefusedInstanceStats statsBefore = KitexClient.refusedInstanceStats();
            final int survivorBefore = load.served("survivor");
            final long start = System.nanoTime();
            await().atMost(Duration.ofSeconds(60)).until(() -> load.served("survivor") >= survivorBefore + 3000);
            final double seconds = (System.nanoTime() - start) / 1e9;
            final int refusedDuring = retries.count(refusedLine) - refusedBefore;
            final long probesDuring = KitexClient.refusedInstanceStats().probes() - statsBefore.probes();
            System.out.printf("DeadInstanceTest: %d calls in %.1f s after the first refusal: %d connect(s) to the"
                    + " dead port, %d probe(s)%n", 3000, seconds, refusedDuring, probesDuring);
            assertThat(refusedDuring)
                    .as("connects to the dead port during %.1f s of %d calls", seconds, 3000)
                    .isLessThanOrEqualTo(THREADS + (int) probesDuring);
            assertThat(probesDuring).as("probes in %.1f s", seconds).isLessThanOrEqualTo(3 + (long) (2 * seconds));
            assertThat(load.failures).isEmpty();
            assertThat(KitexClient.refusedInstanceStats().marked()).isGreaterThanOrEqualTo(1);
            // The key is still in etcd: its lease has not expired.
            try (ServiceWatch watch = resolver.watch(service)) {
                assertThat(watch.firstSync().get(10, TimeUnit.SECONDS).instances())
                        .anyMatch(i -> i.address().equals(deadAddress));
            }

            // A server listens at the address again (not registered: etcd does not change): the
            // next probe finds it and it takes calls again.
            final KitexServer revived = server("revived", deadPort, false);
            await().atMost(Duration.ofSeconds(20)).until(() -> load.served("revived") > 50);
            assertThat(availability.count("Instance " + deadAddress + " is available again (a connection succeeded)"))
                    .isGreaterThanOrEqualTo(1);
            assertThat(load.failures).isEmpty();
            load.close();

            // Stopped again, and a new server listens there; this time the backoff is far longer
            // than the test: only etcd's update of the instance (a new weight) can bring it back.
            final KitexClient patient = client.newBuilder()
                    .refusedInstanceBackoff(Duration.ofSeconds(60), Duration.ofSeconds(120)).build();
            toClose.add(patient);
            final long marksBefore = KitexClient.refusedInstanceStats().marks();
            try (Load patientLoad = new Load(patient.stub(InteropService.Iface.class))) {
                revived.close();
                await().atMost(Duration.ofSeconds(20)).until(() -> KitexClient.refusedInstanceStats().marks() > marksBefore);
                server("renewed", deadPort, false);
                final int survivorNow = patientLoad.served("survivor");
                await().atMost(Duration.ofSeconds(30)).until(() -> patientLoad.served("survivor") >= survivorNow + 500);
                assertThat(patientLoad.served("renewed")).as("calls to the renewed server before etcd's update")
                        .isZero();

                // Closed with the registry in tearDown.
                registry.register(RegistrationInfo.builder().service(service).address(deadAddress)
                        .weight(20).build()).get(10, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(10)).until(() -> patientLoad.served("renewed") > 50);
                assertThat(availability.count("Instance " + deadAddress + " is available again (etcd updated it)"))
                        .isGreaterThanOrEqualTo(1);
                assertThat(patientLoad.failures).isEmpty();
            }
        }
    }
}
