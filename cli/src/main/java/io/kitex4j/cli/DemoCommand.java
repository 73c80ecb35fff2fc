package io.kitex4j.cli;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.registry.Instance;
import io.kitex4j.registry.Registration;
import io.kitex4j.registry.RegistrationInfo;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.resolver.ResolvedInstances;
import io.kitex4j.resolver.ServiceWatch;
import io.kitex4j.resolver.lb.LoadBalancers;
import io.kitex4j.resolver.lb.Picker;
import io.kitex4j.testing.EtcdCluster;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;

/**
 * {@code kitex4j demo}: the round trip a Java service makes through a Kitex mesh's etcd, on a
 * private etcd that is removed afterwards. Registers two Java instances as a Kitex server would,
 * shows the exact bytes a Go client reads, discovers them through a watch, picks by weight, and
 * deregisters one while the watch is open.
 */
@Command(name = "demo", description = "Start a private etcd, register Java instances with kitex4j, discover them back, clean up.")
final class DemoCommand implements Callable<Integer> {

    private static final String SERVICE = "kitex4j.demo.echo";

    private final List<String[]> rows = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        final long start = System.nanoTime();
        System.out.println("kitex4j demo: starting a private etcd...");
        long closing;
        try (EtcdCluster etcd = EtcdCluster.builder().members(1).start()) {
            step("etcd", "started " + etcd.endpoints().get(0), start);
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(etcd.endpoints()).build();
            try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config).build();
                 EtcdResolver resolver = EtcdResolver.builder().etcd(config).build();
                 Client raw = config.newClient()) {
                final int portA = freePort();
                final int portB = freePort();

                long t = System.nanoTime();
                final Registration a = registry.register(RegistrationInfo.builder().service(SERVICE)
                        .address("127.0.0.1:" + portA).weight(30).tag("lang", "java").tag("zone", "a&b").build())
                        .get(10, TimeUnit.SECONDS);
                step("register", a.key() + " (weight 30)", t);
                t = System.nanoTime();
                final Registration b = registry.register(RegistrationInfo.builder().service(SERVICE)
                        .address("127.0.0.1:" + portB).weight(0).build()).get(10, TimeUnit.SECONDS);
                step("register", b.key() + " (weight 0, written as 10)", t);

                t = System.nanoTime();
                final List<KeyValue> kvs = raw.getKVClient().get(bytes(a.key())).get(10, TimeUnit.SECONDS).getKvs();
                step("etcd value", kvs.get(0).getValue().toString(StandardCharsets.UTF_8), t);

                try (ServiceWatch watch = resolver.watch(SERVICE)) {
                    t = System.nanoTime();
                    final ResolvedInstances found = watch.firstSync().get(10, TimeUnit.SECONDS);
                    step("discover", found.instances().size() + " instances, state " + found.state(), t);

                    final Picker picker = LoadBalancers.defaultBalancer().newPicker(found.instances());
                    final Map<String, Integer> picks = new LinkedHashMap<>();
                    t = System.nanoTime();
                    for (int i = 0; i < 4000; i++) {
                        picks.merge(picker.pick().address(), 1, Integer::sum);
                    }
                    step("pick x4000", LoadBalancers.defaultBalancer().name() + " " + picks, t);

                    final CompletableFuture<Instance> removed = new CompletableFuture<>();
                    watch.addListener(update -> update.removed().forEach(removed::complete));
                    t = System.nanoTime();
                    b.deregister().get(10, TimeUnit.SECONDS);
                    final Instance gone = removed.get(10, TimeUnit.SECONDS);
                    step("deregister", gone.address() + " removed, seen by the watch", t);
                    step("resolver view", watch.snapshot().instances().size() + " instance left", -1);
                }
            }
            closing = System.nanoTime();
        }
        step("cleanup", "etcd stopped and its data removed", closing);
        printTable();
        System.out.printf("demo finished in %.1f s%n", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private void step(String what, String detail, long startNanos) {
        final String took = startNanos < 0 ? "" : String.format("%.1f ms", (System.nanoTime() - startNanos) / 1e6);
        rows.add(new String[] {what, took, detail});
    }

    private void printTable() {
        System.out.println();
        System.out.printf("| %-13s | %10s | %s%n", "step", "took", "what happened");
        System.out.printf("|%s|%s|%s%n", "-".repeat(15), "-".repeat(12), "-".repeat(40));
        for (String[] r : rows) {
            System.out.printf("| %-13s | %10s | %s%n", r[0], r[1], r[2]);
        }
        System.out.println();
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
