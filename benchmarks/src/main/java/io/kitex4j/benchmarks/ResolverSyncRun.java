package io.kitex4j.benchmarks;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.registry.InstanceCodec;
import io.kitex4j.registry.KeyLayout;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ServiceWatch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How fast a fresh {@link EtcdResolver} watch syncs a service of 10,000 instances, how much heap
 * its view retains, and how long a change takes to reach a listener.
 *
 * <pre>
 * mvn -B -q -o -pl benchmarks -am package -DskipTests    # only the jar is needed; bin/test runs the tests
 * java -cp benchmarks/target/benchmarks.jar io.kitex4j.benchmarks.ResolverSyncRun [instances] [runs]
 * </pre>
 *
 * Starts a private single-member etcd (the testing module's {@link EtcdCluster}), so it needs the
 * {@code etcd} executable on {@code PATH} or in {@code ETCD_BIN}. Prints medians of several runs.
 */
public final class ResolverSyncRun {

    private static final String SERVICE = "bench";
    private static final int LATENCY_PUTS = 200;

    private ResolverSyncRun() {}

    public static void main(String[] args) throws Exception {
        // No logback.xml in this jar: keep jetcd, gRPC and Netty from logging at DEBUG.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        final int instances = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        final int runs = args.length > 1 ? Integer.parseInt(args[1]) : 9;

        System.out.printf("JVM: %s %s (%s), %d CPUs, max heap %d MB%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf("etcd: %s%n", etcdVersion());

        try (EtcdCluster etcd = EtcdCluster.builder().members(1).start()) {
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(etcd.endpoints()).build();
            final long valueBytes = putInstances(config, instances);
            System.out.printf("Put %,d instances of '%s' (%,d bytes of values, e.g. %s)%n", instances, SERVICE,
                    valueBytes, value(0));

            // Baseline: the raw range read through jetcd, without decoding.
            final List<Long> rawGet = new ArrayList<>();
            try (Client client = config.newClient()) {
                final ByteSequence prefix = ByteSequence.from(KeyLayout.kitex().servicePrefix(SERVICE),
                        StandardCharsets.UTF_8);
                for (int i = 0; i < runs + 2; i++) {
                    final long t0 = System.nanoTime();
                    final int n = client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
                            .get(30, TimeUnit.SECONDS).getKvs().size();
                    check(n == instances, "raw get returned " + n);
                    if (i >= 2) {
                        rawGet.add(System.nanoTime() - t0);
                    }
                }
            }

            // A fresh resolver each time: new client, new connection, first sync.
            final List<Long> coldSync = new ArrayList<>();
            for (int i = 0; i < runs + 2; i++) {
                final long t0 = System.nanoTime();
                try (EtcdResolver resolver = EtcdResolver.builder().etcd(config).build();
                     ServiceWatch watch = resolver.watch(SERVICE)) {
                    final ResolvedInstances view = watch.firstSync().get(30, TimeUnit.SECONDS);
                    final long elapsed = System.nanoTime() - t0;
                    check(view.instances().size() == instances, "synced " + view);
                    if (i >= 2) {
                        coldSync.add(elapsed);
                    }
                }
            }

            try (EtcdResolver resolver = EtcdResolver.builder().etcd(config).build()) {
                // Connected resolver, fresh watch (the previous one fully released each time).
                final List<Long> warmSync = new ArrayList<>();
                final List<Long> retained = new ArrayList<>();
                for (int i = 0; i < runs + 2; i++) {
                    final long before = usedHeapAfterGc();
                    final long t0 = System.nanoTime();
                    final ServiceWatch watch = resolver.watch(SERVICE);
                    final ResolvedInstances view = watch.firstSync().get(30, TimeUnit.SECONDS);
                    final long elapsed = System.nanoTime() - t0;
                    check(view.instances().size() == instances, "synced " + view);
                    final long after = usedHeapAfterGc();
                    if (i >= 2) {
                        warmSync.add(elapsed);
                        retained.add(after - before);
                    }
                    watch.close();
                    Thread.sleep(50); // let the released watch stop before the next one starts
                }

                final List<Long> latency = new ArrayList<>();
                final List<Long> putAck = new ArrayList<>();
                try (ServiceWatch watch = resolver.watch(SERVICE); Client client = config.newClient()) {
                    watch.firstSync().get(30, TimeUnit.SECONDS);
                    final BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
                    watch.addListener(update -> {
                        if (!update.updated().isEmpty()) {
                            arrivals.add(System.nanoTime());
                        }
                    });
                    for (int i = 0; i < LATENCY_PUTS + 20; i++) {
                        final int index = i % instances;
                        final Instance changed = Instance.of(address(index), 11 + i, tags());
                        final long t0 = System.nanoTime();
                        final CompletableFuture<?> put = client.getKVClient().put(
                                ByteSequence.from(key(index), StandardCharsets.UTF_8),
                                ByteSequence.from(InstanceCodec.encodeUtf8(changed)));
                        put.get(10, TimeUnit.SECONDS);
                        final long acked = System.nanoTime();
                        final Long arrived = arrivals.poll(10, TimeUnit.SECONDS);
                        check(arrived != null, "no update for put " + i);
                        if (i >= 20) {
                            latency.add(arrived - t0);
                            putAck.add(acked - t0);
                        }
                    }
                }

                System.out.println();
                System.out.printf("Results (%d runs each, after 2 warm-up runs; %,d instances):%n", runs, instances);
                System.out.printf("  raw jetcd range get (no decoding)        median %7.1f ms  (min %.1f, max %.1f)%n",
                        ms(median(rawGet)), ms(Collections.min(rawGet)), ms(Collections.max(rawGet)));
                System.out.printf("  first sync, fresh resolver (new client)  median %7.1f ms  (min %.1f, max %.1f)%n",
                        ms(median(coldSync)), ms(Collections.min(coldSync)), ms(Collections.max(coldSync)));
                System.out.printf("  first sync, connected resolver           median %7.1f ms  (min %.1f, max %.1f)%n",
                        ms(median(warmSync)), ms(Collections.min(warmSync)), ms(Collections.max(warmSync)));
                final long medianRetained = median(retained);
                System.out.printf("  heap retained by one synced watch        median %7.2f MB  (%d bytes per instance)%n",
                        medianRetained / 1048576.0, medianRetained / instances);
                System.out.printf("  put issued -> listener (%d weight changes) p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                        LATENCY_PUTS, ms(percentile(latency, 50)), ms(percentile(latency, 99)),
                        ms(Collections.max(latency)));
                System.out.printf("  put issued -> put acknowledged (same puts)   p50 %.2f ms, p99 %.2f ms%n",
                        ms(percentile(putAck, 50)), ms(percentile(putAck, 99)));
                System.out.printf("Target: first sync under 1 s: %s%n",
                        ms(median(coldSync)) < 1000 ? "met" : "NOT met");
            }
        }
    }

    private static String key(int i) {
        return KeyLayout.kitex().serviceKey(SERVICE, address(i));
    }

    private static String address(int i) {
        return "10." + (i >> 16 & 0xFF) + '.' + (i >> 8 & 0xFF) + '.' + (i & 0xFF) + ":8888";
    }

    private static Map<String, String> tags() {
        return Map.of("cluster", "default", "env", "prod");
    }

    private static String value(int i) {
        return InstanceCodec.encode(Instance.of(address(i), 10, tags()));
    }

    /** Puts the instances in transactions of 100 keys; returns the bytes of values written. */
    private static long putInstances(EtcdClientConfig config, int instances) throws Exception {
        long bytes = 0;
        try (Client client = config.newClient()) {
            final List<CompletableFuture<?>> inFlight = new ArrayList<>();
            for (int start = 0; start < instances; start += 100) {
                final List<Op> ops = new ArrayList<>();
                for (int i = start; i < Math.min(start + 100, instances); i++) {
                    final byte[] v = value(i).getBytes(StandardCharsets.UTF_8);
                    bytes += v.length;
                    ops.add(Op.put(ByteSequence.from(key(i), StandardCharsets.UTF_8), ByteSequence.from(v),
                            PutOption.DEFAULT));
                }
                final Txn txn = client.getKVClient().txn();
                inFlight.add(txn.Then(ops.toArray(Op[]::new)).commit());
                if (inFlight.size() == 8) {
                    for (CompletableFuture<?> f : inFlight) {
                        f.get(30, TimeUnit.SECONDS);
                    }
                    inFlight.clear();
                }
            }
            for (CompletableFuture<?> f : inFlight) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        return bytes;
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(60);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String etcdVersion() {
        final String bin = System.getenv().getOrDefault("ETCD_BIN", "etcd");
        try {
            final Process p = new ProcessBuilder(bin, "--version").redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                final String first = r.readLine();
                p.waitFor(5, TimeUnit.SECONDS);
                return first == null ? "unknown" : first;
            }
        } catch (Exception e) {
            return "unknown (" + e.getMessage() + ')';
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    private static long median(List<Long> values) {
        return percentile(values, 50);
    }

    private static long percentile(List<Long> values, int p) {
        final List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        final int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
