package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.testing.EtcdExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code register} and {@code watch} run until a signal, so they are tested as real child JVMs:
 * SIGTERM must deregister, and watch must print changes as they happen.
 */
class CliProcessTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final ThreadLocal<Path> STDERR = new ThreadLocal<>();

    static String stderr() throws java.io.IOException {
        return java.nio.file.Files.readString(STDERR.get());
    }

    static Process cli(String... args) throws Exception {
        final String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new java.util.ArrayList<>(List.of(
                javaBin, "-cp", System.getProperty("java.class.path"), Kitex4jCli.class.getName()));
        command.addAll(List.of(args));
        final java.io.File err = java.io.File.createTempFile("kitex4j-cli", ".err");
        err.deleteOnExit();
        STDERR.set(err.toPath());
        return new ProcessBuilder(command).redirectError(err).start();
    }

    static BlockingQueue<String> lines(Process p) {
        final BlockingQueue<String> q = new LinkedBlockingQueue<>();
        final Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    q.add(line);
                }
            } catch (Exception ignored) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return q;
    }

    private static String get(Client c, String key) throws Exception {
        final var kvs = c.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    @Test
    void registerKeepsTheKeyUntilSigtermThenDeregisters() throws Exception {
        final String key = "kitex/registry-etcd/cli.reg/10.1.2.3:9000";
        final Process p = cli("register", "--etcd", ETCD.endpoints().get(0), "--service", "cli.reg",
                "--addr", "10.1.2.3:9000", "--weight", "0", "--tag", "zone=z1", "--ttl", "10");
        try (Client c = ETCD.newClient()) {
            final BlockingQueue<String> out = lines(p);
            final String first = out.poll(30, TimeUnit.SECONDS);
            assertThat(first).startsWith("registered " + key + " lease ");
            assertThat(get(c, key)).isEqualTo(
                    "{\"network\":\"tcp\",\"address\":\"10.1.2.3:9000\",\"weight\":10,\"tags\":{\"zone\":\"z1\"}}");

            // SIGTERM through the handle: Process.destroy() would also close our end of its stdout.
            p.toHandle().destroy();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(get(c, key)).as("key after SIGTERM; stderr: %s", stderr()).isNull();
            assertThat(out.poll(5, TimeUnit.SECONDS)).as("stdout; exit %s; stderr was: %s", p.exitValue(), stderr()).isEqualTo("deregistered " + key);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void watchPrintsCurrentInstancesThenEachChange() throws Exception {
        final String prefix = "kitex/registry-etcd/cli.watch/";
        try (Client c = ETCD.newClient()) {
            c.getKVClient().put(ByteSequence.from(prefix + "10.0.0.1:1", StandardCharsets.UTF_8),
                    ByteSequence.from("{\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":5,\"tags\":null}",
                            StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
            final Process p = cli("watch", "--etcd", ETCD.endpoints().get(0), "--json", "cli.watch");
            try {
                final BlockingQueue<String> out = lines(p);
                assertThat(out.poll(30, TimeUnit.SECONDS)).isEqualTo(
                        "{\"event\":\"current\",\"service\":\"cli.watch\",\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":5,\"tags\":{}}");

                c.getKVClient().put(ByteSequence.from(prefix + "10.0.0.2:2", StandardCharsets.UTF_8),
                        ByteSequence.from("{\"network\":\"tcp\",\"address\":\"10.0.0.2:2\",\"weight\":0,\"tags\":null}",
                                StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
                assertThat(out.poll(10, TimeUnit.SECONDS)).isEqualTo(
                        "{\"event\":\"added\",\"service\":\"cli.watch\",\"network\":\"tcp\",\"address\":\"10.0.0.2:2\",\"weight\":10,\"tags\":{}}");

                c.getKVClient().delete(ByteSequence.from(prefix + "10.0.0.1:1", StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
                assertThat(out.poll(10, TimeUnit.SECONDS)).startsWith("{\"event\":\"removed\",\"service\":\"cli.watch\"")
                        .contains("10.0.0.1:1");
            } finally {
                p.destroy();
                await().atMost(Duration.ofSeconds(20)).until(() -> !p.isAlive());
            }
        }
    }

    /**
     * Reference test case 10: an instance that dies without deregistering leaves the view when its
     * lease expires (here TTL 5 s); one that deregisters leaves it at once. Go clients see the same
     * keys up to 5 s later (their refresh interval).
     */
    @Test
    void killedInstanceLeavesTheViewWhenItsLeaseExpiresAndAGracefulOneAtOnce() throws Exception {
        final var config = io.kitex4j.registry.EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build();
        try (var resolver = io.kitex4j.resolver.EtcdResolver.builder().etcd(config).build();
             var watch = resolver.watch("cli.crash")) {
            final Process crashing = cli("register", "--etcd", ETCD.endpoints().get(0), "--service", "cli.crash",
                    "--addr", "10.3.3.3:1", "--ttl", "5");
            final Process graceful = cli("register", "--etcd", ETCD.endpoints().get(0), "--service", "cli.crash",
                    "--addr", "10.3.3.4:1", "--ttl", "5");
            try {
                assertThat(lines(crashing).poll(30, TimeUnit.SECONDS)).startsWith("registered ");
                final BlockingQueue<String> gracefulOut = lines(graceful);
                assertThat(gracefulOut.poll(30, TimeUnit.SECONDS)).startsWith("registered ");
                await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().instances().size() == 2);

                crashing.toHandle().destroyForcibly(); // SIGKILL: no deregistration
                long start = System.nanoTime();
                await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(() ->
                        watch.snapshot().instances().stream().noneMatch(i -> i.address().equals("10.3.3.3:1")));
                final long crashMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                System.out.printf("killed instance left the view after %d ms (lease TTL 5 s)%n", crashMs);
                // It must be the lease, not anything sooner, that removes a crashed instance.
                assertThat(crashMs).isGreaterThan(1_000);

                graceful.toHandle().destroy(); // SIGTERM: deregisters
                start = System.nanoTime();
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() ->
                        watch.snapshot().instances().isEmpty());
                final long gracefulMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                System.out.printf("deregistered instance left the view after %d ms%n", gracefulMs);
                assertThat(gracefulOut.poll(10, TimeUnit.SECONDS)).startsWith("deregistered ");
            } finally {
                crashing.destroyForcibly();
                graceful.destroyForcibly();
            }
        }
    }

    /**
     * {@code serve} registers an EchoServer; {@code call} finds it through etcd and calls it over
     * every transport; SIGTERM deregisters and stops it.
     */
    @Test
    void serveRegistersAndCallFindsItOverEveryTransport() throws Exception {
        final Process server = cli("serve", "--addr", "127.0.0.1:0", "--etcd", ETCD.endpoints().get(0),
                "--service", "cli.echo", "--tag", "lang=java");
        try (Client c = ETCD.newClient()) {
            final BlockingQueue<String> out = lines(server);
            final String first = out.poll(30, TimeUnit.SECONDS);
            assertThat(first).as("stderr: %s", stderr()).startsWith("serving EchoServer on 127.0.0.1:").contains("registered as cli.echo");
            final String port = first.replaceAll(".*127\\.0\\.0\\.1:(\\d+).*", "$1");
            assertThat(get(c, "kitex/registry-etcd/cli.echo/127.0.0.1:" + port)).isEqualTo(
                    "{\"network\":\"tcp\",\"address\":\"127.0.0.1:" + port + "\",\"weight\":10,\"tags\":{\"lang\":\"java\"}}");

            for (String transport : List.of("buffered", "framed", "ttheader", "ttheader-framed")) {
                final java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
                final java.io.PrintStream saved = System.out;
                System.setOut(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
                final int status;
                try {
                    status = Kitex4jCli.run(new String[] {"call", "--etcd", ETCD.endpoints().get(0), "--service", "cli.echo",
                            "--transport", transport, "--msg", "hi " + transport, "-n", "2"}, new java.io.PrintWriter(System.err, true));
                } finally {
                    System.setOut(saved);
                }
                assertThat(status).as(transport).isZero();
                assertThat(captured.toString(StandardCharsets.UTF_8).lines())
                        .hasSize(2).allMatch(l -> l.startsWith("Echo action=echo msg=hi " + transport + " ("));
            }

            server.toHandle().destroy(); // SIGTERM: deregister, exit wait, drain
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(get(c, "kitex/registry-etcd/cli.echo/127.0.0.1:" + port)).isNull();
        } finally {
            server.destroyForcibly();
        }
    }

    /**
     * Issue 9, defect 5: {@code ls} and {@code watch} decode values the same way (the resolver's
     * decoding), so they list the same instances with the same weights and skip the same keys with
     * the same reasons; two keys with an empty address are two skipped keys, not one instance.
     */
    @Test
    void lsAndWatchShowTheSameInstancesAndSkipTheSameKeys() throws Exception {
        final String prefix = "kitex/registry-etcd/cli.same/";
        try (Client c = ETCD.newClient()) {
            put(c, prefix + "10.0.0.1:1", "{\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":5,\"tags\":null}");
            put(c, prefix + "10.0.0.2:2", "{\"network\":\"tcp\",\"address\":\"10.0.0.2:2\",\"weight\":0,\"tags\":null}");
            put(c, prefix + "empty1", "{\"network\":\"tcp\",\"address\":\"\",\"weight\":10}");
            put(c, prefix + "empty2", "{\"network\":\"tcp\",\"address\":\"\",\"weight\":10}");
            put(c, prefix + "null", "null");
            put(c, prefix + "noport", "{\"network\":\"tcp\",\"address\":\"127.0.0.1\",\"weight\":10}");
            put(c, prefix + "nul", "{\"network\":\"tcp\",\"address\":\"127.0.0.1\\u0000:80\",\"weight\":10}");
            put(c, prefix + "unix", "{\"network\":\"unix\",\"address\":\"/tmp/k.sock\",\"weight\":10}");
        }
        final int expectedLines = 8;

        for (boolean json : new boolean[] {true, false}) {
            // A generous dial timeout: other JVMs may be starting on this machine at the same time.
            final List<String> lsArgs = new java.util.ArrayList<>(
                    List.of("ls", "--etcd", ETCD.endpoints().get(0), "--dial-timeout", "30"));
            final List<String> watchArgs = new java.util.ArrayList<>(
                    List.of("watch", "--etcd", ETCD.endpoints().get(0), "--dial-timeout", "30"));
            if (json) {
                lsArgs.add("--json");
                watchArgs.add("--json");
            }
            lsArgs.add("cli.same");
            watchArgs.add("cli.same");

            final Process ls = cli(lsArgs.toArray(String[]::new));
            final Path lsErr = STDERR.get();
            final BlockingQueue<String> lsOut = lines(ls);
            assertThat(ls.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(ls.exitValue()).as("ls stderr: %s", java.nio.file.Files.readString(lsErr)).isZero();
            final List<String> lsView = new java.util.ArrayList<>();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                lsOut.drainTo(lsView);
                return lsView.size() + skippedLines(lsErr).size() == expectedLines;
            });
            lsView.addAll(skippedLines(lsErr));

            final Process watch = cli(watchArgs.toArray(String[]::new));
            final Path watchErr = STDERR.get();
            try {
                final BlockingQueue<String> watchOut = lines(watch);
                final List<String> watchView = new java.util.ArrayList<>();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    watchOut.drainTo(watchView);
                    assertThat(watchView.size() + skippedLines(watchErr).size())
                            .as("stdout %s, stderr %s", watchView, java.nio.file.Files.readString(watchErr))
                            .isGreaterThanOrEqualTo(expectedLines);
                });
                watchView.addAll(skippedLines(watchErr));
                final List<String> normalized = watchView.stream()
                        .map(l -> l.replace("\"event\":\"current\",", "").replace("\"event\":\"skipped\",", ""))
                        .toList();
                // ls adds what the resolver's view drops: the stored weight, and tags stored as null.
                final List<String> lsAsWatch = lsView.stream()
                        .map(l -> l.replaceAll(",\"storedWeight\":-?\\d+", "").replaceAll(" \\(stored -?\\d+\\)", "")
                                .replace("\"tags\":null", "\"tags\":{}"))
                        .toList();
                assertThat(normalized).as("json=%s", json).containsExactlyInAnyOrderElementsOf(lsAsWatch);
                // One line per skipped key: the resolver's own WARN would say each a second time.
                assertThat(java.nio.file.Files.readAllLines(watchErr)).noneMatch(l -> l.contains("Skipping key"));
            } finally {
                watch.destroy();
                await().atMost(Duration.ofSeconds(20)).until(() -> !watch.isAlive());
            }
            if (json) {
                assertThat(lsView).contains(
                        "{\"service\":\"cli.same\",\"network\":\"tcp\",\"address\":\"10.0.0.2:2\",\"weight\":10,"
                                + "\"storedWeight\":0,\"tags\":null}",
                        "{\"service\":\"cli.same\",\"key\":\"" + prefix + "empty1\",\"skipped\":\"address: empty\"}",
                        "{\"service\":\"cli.same\",\"key\":\"" + prefix + "empty2\",\"skipped\":\"address: empty\"}",
                        "{\"service\":\"cli.same\",\"key\":\"" + prefix + "null\",\"skipped\":\"address: empty\"}");
            } else {
                assertThat(lsView).contains("cli.same\t10.0.0.1:1\tweight=5", "cli.same\t10.0.0.2:2\tweight=10 (stored 0)",
                        "kitex4j: skipped " + prefix + "nul: address: '127.0.0.1\\x00:80' has a space or control "
                                + "character in its host",
                        "kitex4j: skipped " + prefix + "noport: address: '127.0.0.1' has no port");
            }
        }
    }

    /**
     * Issue 9, defect 7: ten {@code kitex4j register} JVMs started at the same moment on this
     * (2-core, shared) machine all register: a first attempt that gets no answer in time is retried
     * until the start-up timeout (30 s by default) instead of failing the process.
     */
    @Test
    void tenRegisterProcessesStartedTogetherAllRegister() throws Exception {
        final List<Process> processes = new java.util.ArrayList<>();
        final List<Path> stderrs = new java.util.ArrayList<>();
        final List<BlockingQueue<String>> outs = new java.util.ArrayList<>();
        try {
            for (int i = 1; i <= 10; i++) {
                final Process p = cli("register", "--etcd", ETCD.endpoints().get(0), "--service", "cli.ten",
                        "--addr", "10.9.0." + i + ":1", "--ttl", "10");
                processes.add(p);
                stderrs.add(STDERR.get());
                outs.add(lines(p));
            }
            for (int i = 0; i < 10; i++) {
                final String first = outs.get(i).poll(90, TimeUnit.SECONDS);
                assertThat(first).as("process %d; stderr: %s", i + 1, java.nio.file.Files.readString(stderrs.get(i)))
                        .startsWith("registered kitex/registry-etcd/cli.ten/10.9.0." + (i + 1) + ":1 lease ");
            }
            try (Client c = ETCD.newClient()) {
                for (int i = 1; i <= 10; i++) {
                    assertThat(get(c, "kitex/registry-etcd/cli.ten/10.9.0." + i + ":1")).isNotNull();
                }
            }
            long retried = 0;
            for (Path err : stderrs) {
                retried += java.nio.file.Files.readAllLines(err).stream().anyMatch(l -> l.contains("not registered yet")) ? 1 : 0;
            }
            System.out.printf("10 register processes started together: all registered, %d needed a start-up retry%n",
                    retried);
        } finally {
            processes.forEach(p -> p.toHandle().destroy());
            for (Process p : processes) {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static List<String> skippedLines(Path stderr) throws java.io.IOException {
        return java.nio.file.Files.readAllLines(stderr).stream().filter(l -> l.startsWith("kitex4j: skipped ")).toList();
    }

    private static void put(Client c, String key, String value) throws Exception {
        c.getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8), ByteSequence.from(value, StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS);
    }

    /**
     * {@code serve --metrics}: the endpoint's address is printed, and after a known set of calls (three echoes, one
     * EchoComplex, one that the client gives up on after its timeout) the Prometheus scrape has the server's request
     * counters with exact values.
     */
    @Test
    void serveWithMetricsPublishesTheServerMetersInPrometheusText() throws Exception {
        final Process server = cli("serve", "--addr", "127.0.0.1:0", "--metrics", "127.0.0.1:0");
        try {
            final BlockingQueue<String> out = lines(server);
            final String metricsLine = out.poll(30, TimeUnit.SECONDS);
            assertThat(metricsLine).as("stderr: %s", stderr()).matches("metrics: http://127\\.0\\.0\\.1:\\d+/metrics");
            final java.net.URI metrics = java.net.URI.create(metricsLine.substring("metrics: ".length()));
            final String serving = out.poll(30, TimeUnit.SECONDS);
            assertThat(serving).as("stderr: %s", stderr()).startsWith("serving EchoServer on 127.0.0.1:");
            final String port = serving.replaceAll(".*127\\.0\\.0\\.1:(\\d+).*", "$1");

            try (io.kitex4j.thriftrpc.client.KitexClient client = io.kitex4j.thriftrpc.client.KitexClient.builder()
                    .service("echo").fromService("cli.test").addresses("127.0.0.1:" + port)
                    .transport(io.kitex4j.core.Transport.TTHEADER_FRAMED).rpcTimeout(Duration.ofSeconds(5)).build()) {
                final io.kitex4j.idl.echo.EchoServer.Iface echo = client.stub(io.kitex4j.idl.echo.EchoServer.Iface.class);
                for (int i = 0; i < 3; i++) {
                    assertThat(echo.Echo(new io.kitex4j.idl.echo.Request("echo", "m" + i)).getMsg()).isEqualTo("m" + i);
                }
                echo.EchoComplex(new io.kitex4j.idl.echo.ComplexRequest("echo", "c", java.util.Map.of(), List.of(), new io.kitex4j.idl.echo.Message()));
                final io.kitex4j.idl.echo.EchoServer.Iface impatient = client.stub(io.kitex4j.idl.echo.EchoServer.Iface.class,
                        io.kitex4j.thriftrpc.client.CallOptions.builder().rpcTimeout(Duration.ofMillis(100)).build());
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> impatient.Echo(new io.kitex4j.idl.echo.Request("sleep", "500")))
                        .isInstanceOf(io.kitex4j.core.RpcTimeoutException.class);
            }

            final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            final String tags = "callee=\"unknown\",caller=\"cli.test\",method=\"%s\",result=\"%s\",transport=\"ttheader_framed\"";
            final String echoSuccess = "kitex_server_requests_total{" + tags.formatted("Echo", "success") + "} 4.0";
            // The timed-out call's handler finishes 500 ms after it started, as a success on the server.
            final String[] scrape = new String[1];
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                final var r = http.send(java.net.http.HttpRequest.newBuilder(metrics).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
                scrape[0] = r.body();
                return scrape[0].lines().anyMatch(echoSuccess::equals);
            });
            assertThat(scrape[0].lines()).contains(
                    echoSuccess,
                    "kitex_server_requests_total{" + tags.formatted("Echo", "biz_error") + "} 0.0",
                    "kitex_server_requests_total{" + tags.formatted("Echo", "timeout") + "} 0.0",
                    "kitex_server_requests_total{" + tags.formatted("Echo", "failure") + "} 0.0",
                    "kitex_server_requests_total{" + tags.formatted("EchoComplex", "success") + "} 1.0",
                    "kitex_server_active_requests{callee=\"unknown\",caller=\"cli.test\",method=\"Echo\",transport=\"ttheader_framed\"} 0.0",
                    "kitex_server_duration_seconds_count{callee=\"unknown\",caller=\"cli.test\",method=\"Echo\",transport=\"ttheader_framed\"} 4");
            assertThat(scrape[0]).contains("jvm_memory_used_bytes{");

            final var notFound = http.send(java.net.http.HttpRequest.newBuilder(metrics.resolve("/nothing")).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(notFound.statusCode()).isEqualTo(404);
            // Not registering: nothing to look at, so UP (CliHealthProcessTest covers a registration).
            final var health = http.send(java.net.http.HttpRequest.newBuilder(metrics.resolve("/health")).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).startsWith("{\"status\":\"UP\",\"checkedAt\":\"")
                    .endsWith("\"registrations\":{},\"views\":{}}\n");
            final var post = http.send(java.net.http.HttpRequest.newBuilder(metrics)
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);

            server.toHandle().destroy();
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            server.destroyForcibly();
        }
    }
}
