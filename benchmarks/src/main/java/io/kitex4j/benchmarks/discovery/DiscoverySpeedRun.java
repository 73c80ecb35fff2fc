package io.kitex4j.benchmarks.discovery;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.registry.InstanceCodec;
import io.kitex4j.registry.KeyLayout;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovery speed (etcd change until a client routes to / stops routing to an instance), kitex4j
 * client vs Go Kitex client, plus server start-up time and a kitex4j server's idle heap/RSS.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.kitex4j.benchmarks.discovery.DiscoverySpeedRun \
 *     [--changes 100] [--go-changes 20] [--startup-runs 10] [--go-bin DIR]   # DIR holds discoverybench and server
 * </pre>
 *
 * Two in-process kitex4j echo servers, A and B, answer {@code Echo(action="whoami")} with their name.
 * A is always registered; the harness puts and deletes B's key itself (value exactly as Go's
 * registry-etcd writes it) and takes the wall-clock time just before the put / delete. Each client
 * calls continuously (one call, then 1 ms pause); every call's issue time and answering server are
 * recorded. "Add visible" = issue time of the first call answered by B after the put, minus the put
 * time. "Remove visible" = issue time of the last call answered by B, minus the delete time (0 when no
 * call reached B after the delete); B counts as gone once no call reached it for 500 ms.
 */
public final class DiscoverySpeedRun {

    private static final String SERVICE = "discovery";
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final Pattern GO_LINE = Pattern.compile("\"t\":(\\d+),\"server\":\"([^\"]*)\"");

    private DiscoverySpeedRun() {}

    /** Wall-clock nanoseconds since the epoch (microsecond resolution on Linux), comparable with Go's UnixNano. */
    static long now() {
        final Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        if (args.length > 0 && args[0].equals("idle")) {
            idleChild(args[1]);
            return;
        }
        int changes = 100;
        int goChanges = 20;
        int startupRuns = 10;
        String goBin = "/tmp/kbin";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--changes" -> changes = Integer.parseInt(args[i + 1]);
                case "--go-changes" -> goChanges = Integer.parseInt(args[i + 1]);
                case "--startup-runs" -> startupRuns = Integer.parseInt(args[i + 1]);
                case "--go-bin" -> goBin = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.printf("JVM: %s %s, %d CPUs, max heap %d MB%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);

        try (EtcdCluster etcd = EtcdCluster.builder().members(1).start()) {
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(etcd.endpoints()).build();
            final String endpoints = String.join(",", etcd.endpoints());
            try (Client kv = config.newClient()) {
                final KitexServer a = echoServer("A");
                final KitexServer b = echoServer("B");
                final String addrA = "127.0.0.1:" + a.port();
                final String addrB = "127.0.0.1:" + b.port();
                put(kv, addrA);

                if (changes > 0) {
                    try (EtcdResolver resolver = EtcdResolver.builder().etcd(config).build();
                         KitexClient client = KitexClient.builder().service(SERVICE).resolver(resolver)
                                 .rpcTimeout(Duration.ofSeconds(1)).build()) {
                        final Tracker tracker = new Tracker();
                        final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);
                        final Thread caller = new Thread(() -> javaCaller(stub, tracker), "java-caller");
                        caller.setDaemon(true);
                        final var watch = resolver.watch(SERVICE);
                        watch.addListener(update -> {
                            final long t = now();
                            if (update.added().stream().anyMatch(in -> in.address().equals(addrB))) {
                                tracker.listenerAdded.compareAndSet(0, t);
                            }
                            if (update.removed().stream().anyMatch(in -> in.address().equals(addrB))) {
                                tracker.listenerRemoved.compareAndSet(0, t);
                            }
                        });
                        caller.start();
                        tracker.awaitServer("A", 10_000);
                        measure("kitex4j client", kv, addrB, tracker, 10, changes, 200);
                        tracker.stop = true;
                        caller.join(5000);
                    }
                }
                if (goChanges > 0) {
                    final Process go = new ProcessBuilder(goBin + "/discoverybench", "-etcd", endpoints,
                            "-service", SERVICE, "-interval", "1ms")
                            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                    final Tracker tracker = new Tracker();
                    final Thread reader = new Thread(() -> goReader(go, tracker), "go-reader");
                    reader.setDaemon(true);
                    reader.start();
                    try {
                        tracker.awaitServer("A", 20_000);
                        measure("Go Kitex v0.16.3 client (registry-etcd, default 5 s refresh)", kv, addrB, tracker,
                                2, goChanges, 5000);
                    } finally {
                        go.destroy();
                        go.waitFor(5, TimeUnit.SECONDS);
                    }
                }
                a.stop();
                b.stop();
            }
            if (startupRuns > 0) {
                startup(config, endpoints, goBin, startupRuns);
                idle(endpoints);
            }
        }
        System.exit(0);
    }

    // ---- discovery speed ----

    /** Calls seen by a client: issue time and server name. */
    static final class Tracker {
        volatile boolean stop;
        volatile long mark = Long.MAX_VALUE;
        final AtomicLong firstBAfterMark = new AtomicLong();
        final AtomicLong lastB = new AtomicLong();
        volatile String lastServer = "";
        final AtomicLong errors = new AtomicLong();
        /** kitex4j only: when the resolver's listener saw B added / removed (0 = not yet, or not tracked). */
        final AtomicLong listenerAdded = new AtomicLong();
        final AtomicLong listenerRemoved = new AtomicLong();
        final AtomicLong calls = new AtomicLong();

        void seen(long t, String server) {
            calls.incrementAndGet();
            lastServer = server;
            if (server.equals("B")) {
                lastB.accumulateAndGet(t, Math::max);
                if (t >= mark) {
                    firstBAfterMark.compareAndSet(0, t);
                }
            }
        }

        void awaitServer(String name, long millis) throws InterruptedException {
            final long end = System.currentTimeMillis() + millis;
            while (!lastServer.equals(name)) {
                if (System.currentTimeMillis() > end) {
                    throw new IllegalStateException("client never reached " + name + " (errors " + errors + ')');
                }
                Thread.sleep(5);
            }
        }
    }

    private static void javaCaller(EchoServer.Iface stub, Tracker tracker) {
        final Request req = new Request("whoami", "");
        while (!tracker.stop) {
            final long t = now();
            try {
                tracker.seen(t, stub.Echo(req).getMsg());
            } catch (Exception e) {
                tracker.errors.incrementAndGet();
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void goReader(Process go, Tracker tracker) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(go.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                final Matcher m = GO_LINE.matcher(line);
                if (m.find()) {
                    tracker.seen(Long.parseLong(m.group(1)), m.group(2));
                } else {
                    tracker.errors.incrementAndGet();
                }
            }
        } catch (Exception e) {
            // process ended
        }
    }

    /**
     * {@code jitterMs}: random pause (0..jitterMs) before each put and each delete, so the changes fall
     * at random phases of a polling client's refresh period (5000 for Go's 5 s refresh).
     */
    private static void measure(String label, Client kv, String addrB, Tracker tracker, int warmup, int changes,
            int jitterMs) throws Exception {
        final List<Long> adds = new ArrayList<>();
        final List<Long> removes = new ArrayList<>();
        final List<Long> listenerAdds = new ArrayList<>();
        final List<Long> listenerRemoves = new ArrayList<>();
        final long started = System.nanoTime();
        for (int i = 0; i < warmup + changes; i++) {
            // add B
            tracker.firstBAfterMark.set(0);
            tracker.listenerAdded.set(0);
            tracker.listenerRemoved.set(0);
            final long tPut = now();
            tracker.mark = tPut;
            put(kv, addrB);
            final long addDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (tracker.firstBAfterMark.get() == 0) {
                if (System.nanoTime() > addDeadline) {
                    throw new IllegalStateException(label + ": B never reached after put " + i);
                }
                Thread.sleep(1);
            }
            final long add = tracker.firstBAfterMark.get() - tPut;
            tracker.mark = Long.MAX_VALUE;
            Thread.sleep(50 + ThreadLocalRandom.current().nextInt(jitterMs));
            // remove B
            final long tDel = now();
            kv.getKVClient().delete(key(addrB)).get(10, TimeUnit.SECONDS);
            while (now() - Math.max(tDel, tracker.lastB.get()) < QUIET_NANOS) {
                Thread.sleep(10);
            }
            final long remove = Math.max(0, tracker.lastB.get() - tDel);
            if (i >= warmup) {
                adds.add(add);
                removes.add(remove);
                if (tracker.listenerAdded.get() != 0) {
                    listenerAdds.add(tracker.listenerAdded.get() - tPut);
                }
                if (tracker.listenerRemoved.get() != 0) {
                    listenerRemoves.add(tracker.listenerRemoved.get() - tDel);
                }
            }
            Thread.sleep(ThreadLocalRandom.current().nextInt(jitterMs));
        }
        System.out.printf("%n%s: %d adds + %d removes (after %d warm-up pairs, random pauses 0-%d ms), %d calls, %d errors, %.1f s%n",
                label, changes, changes, warmup, jitterMs, tracker.calls.get(), tracker.errors.get(),
                (System.nanoTime() - started) / 1e9);
        report("  put B -> first call routed to B   ", adds);
        report("  delete B -> last call routed to B ", removes);
        if (!listenerAdds.isEmpty()) {
            report("  (put B -> resolver listener        ", listenerAdds);
            report("  (delete B -> resolver listener     ", listenerRemoves);
        }
        final List<Long> both = new ArrayList<>(adds);
        both.addAll(removes);
        report("  all " + both.size() + " changes                  ", both);
    }

    private static void report(String what, List<Long> values) {
        System.out.printf("%s p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  min %7.2f ms%n", what,
                ms(percentile(values, 50)), ms(percentile(values, 99)), ms(Collections.max(values)),
                ms(Collections.min(values)));
    }

    private static KitexServer echoServer(String name) {
        return KitexServer.builder().address("127.0.0.1", 0).service(EchoServer.class, handler(name))
                .shutdownHook(false).exitWait(Duration.ZERO).build().startBlocking();
    }

    private static EchoServer.Iface handler(String name) {
        return new EchoServer.Iface() {
            @Override
            public Response Echo(Request req) {
                return new Response(req.getAction(), "whoami".equals(req.getAction()) ? name : req.getMsg());
            }

            @Override
            public io.kitex4j.idl.echo.ComplexResponse EchoComplex(io.kitex4j.idl.echo.ComplexRequest req) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static ByteSequence key(String addr) {
        return ByteSequence.from(KeyLayout.kitex().serviceKey(SERVICE, addr), StandardCharsets.UTF_8);
    }

    private static void put(Client kv, String addr) throws Exception {
        kv.getKVClient().put(key(addr), ByteSequence.from(InstanceCodec.encodeUtf8(Instance.of(addr, 10))))
                .get(10, TimeUnit.SECONDS);
    }

    // ---- start-up ----

    private static void startup(EtcdClientConfig config, String endpoints, String goBin, int runs) throws Exception {
        final List<Long> jStart = new ArrayList<>();
        final List<Long> jKey = new ArrayList<>();
        final List<Long> jCall = new ArrayList<>();
        final List<Long> gKey = new ArrayList<>();
        final List<Long> gCall = new ArrayList<>();
        final List<Long> gRss = new ArrayList<>();
        try (Client kv = config.newClient(); EtcdRegistry registry = EtcdRegistry.builder().etcd(config).build()) {
            for (int i = 0; i <= runs; i++) {
                final String svc = "startup-j" + i;
                final long t0 = System.nanoTime();
                final KitexServer server = KitexServer.builder().address("127.0.0.1", 0)
                        .service(EchoServer.class, handler("j" + i)).registry(registry, svc)
                        .shutdownHook(false).exitWait(Duration.ZERO).build();
                final var started = server.start();
                final long[] times = keyAndCall(kv, svc, t0);
                started.get(10, TimeUnit.SECONDS);
                final long tStarted = System.nanoTime() - t0;
                System.out.printf("  kitex4j server run %d%s: start() done %.1f ms, key in etcd %.1f ms, first call answered %.1f ms%n",
                        i, i == 0 ? " (first in this JVM)" : "", ms(tStarted), ms(times[0]), ms(times[1]));
                if (i > 0) {
                    jStart.add(tStarted);
                    jKey.add(times[0]);
                    jCall.add(times[1]);
                }
                server.stop();
            }
            for (int i = 0; i <= runs; i++) {
                final String svc = "startup-g" + i;
                final long t0 = System.nanoTime();
                final Process p = new ProcessBuilder(goBin + "/server", "--addr", "127.0.0.1:0", "--etcd", endpoints,
                        "--service", svc, "--name", "g" + i, "--exit-wait", "1ms")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                try {
                    final long[] times = keyAndCall(kv, svc, t0);
                    Thread.sleep(300);
                    final long rss = rssKb(Path.of("/proc/" + p.pid() + "/status"));
                    System.out.printf("  Go server process run %d: key in etcd %.1f ms, first call answered %.1f ms, VmRSS %d kB%n",
                            i, ms(times[0]), ms(times[1]), rss);
                    if (i > 0) {
                        gKey.add(times[0]);
                        gCall.add(times[1]);
                        gRss.add(rss);
                    }
                } finally {
                    p.destroy();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        System.out.printf("%nStart-up, median of %d runs (after 1 discarded first run):%n", runs);
        System.out.printf("  kitex4j KitexServer in-JVM, build().start() -> start() completed %.1f ms, key in etcd %.1f ms, first call answered %.1f ms%n",
                ms(percentile(jStart, 50)), ms(percentile(jKey, 50)), ms(percentile(jCall, 50)));
        System.out.printf("  Go cmd/server process, exec -> key in etcd %.1f ms, first call answered %.1f ms; idle VmRSS %d kB%n",
                ms(percentile(gKey, 50)), ms(percentile(gCall, 50)), percentile(gRss, 50));
    }

    /** Polls etcd for the service's key, then calls the registered address until answered; times since t0. */
    private static long[] keyAndCall(Client kv, String svc, long t0) throws Exception {
        final ByteSequence prefix = ByteSequence.from(KeyLayout.kitex().servicePrefix(svc), StandardCharsets.UTF_8);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String addr = null;
        while (addr == null) {
            final List<KeyValue> kvs = kv.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS).getKvs();
            if (!kvs.isEmpty()) {
                addr = InstanceCodec.decode(kvs.get(0).getValue().getBytes()).address();
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no key for " + svc);
            }
        }
        final long tKey = System.nanoTime() - t0;
        try (KitexClient client = KitexClient.builder().service(svc).addresses(addr)
                .rpcTimeout(Duration.ofSeconds(1)).build()) {
            final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);
            while (true) {
                try {
                    stub.Echo(new Request("echo", "hi"));
                    break;
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(1);
                }
            }
        }
        return new long[] {tKey, System.nanoTime() - t0};
    }

    // ---- idle memory ----

    /** Runs {@code idle} in a fresh JVM (same class path, default flags), calls its server 1,000 times, reads its figures. */
    private static void idle(String endpoints) throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                DiscoverySpeedRun.class.getName(), "idle", endpoints).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        final BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        final PrintStream w = new PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8);
        final String ready = r.readLine(); // "ready <addr>"
        try (KitexClient client = KitexClient.builder().service("idle").addresses(ready.split(" ")[1]).build()) {
            final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);
            for (int i = 0; i < 1000; i++) {
                stub.Echo(new Request("echo", "hi"));
            }
        }
        w.println("measure");
        System.out.println();
        String line;
        while ((line = r.readLine()) != null) {
            System.out.println("  " + line);
        }
        p.waitFor(30, TimeUnit.SECONDS);
    }

    private static void idleChild(String endpoints) throws Exception {
        final EtcdRegistry registry = EtcdRegistry.builder().endpoints(endpoints.split(",")).build();
        final KitexServer server = KitexServer.builder().address("127.0.0.1", 0)
                .service(EchoServer.class, handler("idle")).registry(registry, "idle").shutdownHook(false)
                .exitWait(Duration.ZERO).build().startBlocking();
        final long rssStarted = rssKb(Path.of("/proc/self/status"));
        System.out.println("ready 127.0.0.1:" + server.port());
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        Thread.sleep(2000); // idle
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        final long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        final long committed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
        final long rss = rssKb(Path.of("/proc/self/status"));
        System.out.printf("kitex4j idle server (fresh JVM, default flags, EtcdRegistry, after 1,000 calls):%n");
        System.out.printf("  used heap after GC %.1f MB (committed %.1f MB), VmRSS %d kB (%d kB right after start)%n",
                heap / 1048576.0, committed / 1048576.0, rss, rssStarted);
        server.stop().get(10, TimeUnit.SECONDS);
        registry.close();
        System.exit(0);
    }

    private static long rssKb(Path status) {
        try {
            for (String l : Files.readAllLines(status)) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // gone
        }
        return -1;
    }

    // ---- stats ----

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static long percentile(List<Long> values, int p) {
        final List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        final int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
