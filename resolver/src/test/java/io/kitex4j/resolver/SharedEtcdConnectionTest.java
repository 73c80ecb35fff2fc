package io.kitex4j.resolver;

import static io.kitex4j.resolver.ResolverTestSupport.addresses;
import static io.kitex4j.resolver.ResolverTestSupport.goValue;
import static io.kitex4j.resolver.ResolverTestSupport.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdConnection;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.testing.EtcdExtension;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One {@link EtcdConnection} under a registry and a resolver: one TCP connection to etcd (counted
 * in this process's sockets, so a second jetcd client would show), one set of threads, and each
 * closing on its own.
 */
class SharedEtcdConnectionTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static EtcdClientConfig config() {
        return EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build();
    }

    @Test
    void oneConnectionServesARegistryAndAResolver() throws Exception {
        final int etcdPort = URI.create(ETCD.endpoints().get(0)).getPort();
        final long before = establishedTo(etcdPort);
        final Set<String> threadsBefore = etcdThreads();
        try (EtcdConnection connection = EtcdConnection.of(config())) {
            final EtcdRegistry registry = EtcdRegistry.builder().connection(connection).env(n -> null).build();
            final EtcdResolver resolver = EtcdResolver.builder().connection(connection).build();
            final Registration r = registry.register(RegistrationInfo.of("shared", "10.0.5.1:1")).get(10, TimeUnit.SECONDS);
            final ServiceWatch watch = resolver.watch("shared");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> addresses(watch.snapshot()).equals(List.of("10.0.5.1:1")));

            assertThat(establishedTo(etcdPort) - before)
                    .as("TCP connections to etcd from this process: one jetcd client for both").isEqualTo(1);
            final Set<String> threads = etcdThreads();
            threads.removeAll(threadsBefore);
            final String scheduler = threads.stream().filter(n -> n.matches("kitex4j-etcd-\\d+")).findFirst().orElse("none");
            assertThat(threads).as("kitex4j threads of the registry and the resolver together: one scheduler, "
                                   + "one listener thread").containsExactlyInAnyOrder(scheduler, scheduler + "-listeners");

            // Closing the registry deregisters, and the resolver, on the same connection, sees it.
            registry.close();
            assertThat(r.state()).isEqualTo(RegistrationState.DEREGISTERED);
            assertThatThrownBy(() -> registry.register(RegistrationInfo.of("shared", "10.0.5.3:1")).get())
                    .hasCauseInstanceOf(IllegalStateException.class);
            await().atMost(Duration.ofSeconds(5)).until(() -> watch.snapshot().state() == ResolvedInstances.State.NO_INSTANCES);
            // The resolver keeps working, and the connection's client too.
            put(connection.client(), "kitex/registry-etcd/shared/10.0.5.2:1", goValue("10.0.5.2:1", 10));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> addresses(watch.snapshot()).equals(List.of("10.0.5.2:1")));
            assertThat(establishedTo(etcdPort) - before).isEqualTo(1);

            // Closing the connection closes the resolver still on it, and the client and threads.
            connection.close();
            assertThat(connection.isClosed()).isTrue();
            assertThatThrownBy(() -> resolver.watch("other")).isInstanceOf(IllegalStateException.class);
            assertThat(addresses(watch.snapshot())).as("the last view stays readable").containsExactly("10.0.5.2:1");
            assertThatThrownBy(() -> EtcdResolver.builder().connection(connection).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageEndingWith("(expected: an open connection)");
            await().atMost(Duration.ofSeconds(5)).until(() -> establishedTo(etcdPort) == before);
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                final Set<String> left = etcdThreads();
                left.removeAll(threadsBefore);
                return left.isEmpty();
            });
            watch.close();
        }
    }

    @Test
    void closingTheConnectionDeregistersAndStopsTheWatches() throws Exception {
        final EtcdConnection connection = EtcdConnection.of(config());
        final EtcdRegistry registry = EtcdRegistry.builder().connection(connection).env(n -> null).build();
        final EtcdResolver resolver = EtcdResolver.builder().connection(connection).build();
        final Registration r = registry.register(RegistrationInfo.of("closing", "10.0.5.4:1")).get(10, TimeUnit.SECONDS);
        final ServiceWatch watch = resolver.watch("closing");
        await().atMost(Duration.ofSeconds(5)).until(() -> addresses(watch.snapshot()).equals(List.of("10.0.5.4:1")));

        connection.close();
        assertThat(r.state()).isEqualTo(RegistrationState.DEREGISTERED);
        assertThatThrownBy(() -> resolver.watch("closing")).isInstanceOf(IllegalStateException.class);
        try (Client probe = ETCD.newClient()) {
            assertThat(probe.getKVClient().get(ResolverTestSupport.bytes(r.key())).get(5, TimeUnit.SECONDS).getCount())
                    .as("deregistered when the connection closed").isZero();
        }
        registry.close(); // idempotent after the connection closed it
        resolver.close();
    }

    @Test
    void aResolverWithItsOwnConfigOpensItsOwnConnection() throws Exception {
        final int etcdPort = URI.create(ETCD.endpoints().get(0)).getPort();
        final long before = establishedTo(etcdPort);
        try (EtcdConnection connection = EtcdConnection.of(config());
             EtcdRegistry registry = EtcdRegistry.builder().connection(connection).env(n -> null).build();
             EtcdResolver resolver = EtcdResolver.builder().etcd(config()).build();
             ServiceWatch watch = resolver.watch("own")) {
            registry.register(RegistrationInfo.of("own", "10.0.5.5:1")).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> addresses(watch.snapshot()).equals(List.of("10.0.5.5:1")));
            // The counting above can tell: two clients are two connections.
            assertThat(establishedTo(etcdPort) - before).isEqualTo(2);
        }
    }

    /** Established TCP connections from this process to {@code port} (Linux: /proc). */
    private static long establishedTo(int port) throws IOException {
        final Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    final String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            });
        }
        final String remotePort = String.format(Locale.ROOT, ":%04X", port);
        long count = 0;
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            final Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            final List<String> lines = Files.readAllLines(path);
            for (String line : lines.subList(1, lines.size())) {
                final String[] f = line.trim().split("\\s+");
                // f[2] remote address:port, f[3] state (01 = ESTABLISHED), f[9] inode
                if (f[2].endsWith(remotePort) && f[3].equals("01") && inodes.contains(f[9])) {
                    count++;
                }
            }
        }
        return count;
    }

    private static Set<String> etcdThreads() {
        final Set<String> names = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("kitex4j-")) {
                names.add(t.getName());
            }
        }
        return names;
    }
}
