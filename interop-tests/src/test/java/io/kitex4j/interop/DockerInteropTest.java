package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.lifecycle.Startables;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.testing.containers.ContainerEngine;
import io.kitex4j.testing.containers.EtcdContainer;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.testing.containers.GoKitexPeerContainer;
import io.kitex4j.testing.containers.Kitex4jPeerContainer;
import io.kitex4j.testing.containers.KitexImages;
import io.kitex4j.thriftrpc.client.KitexClient;

/**
 * The Go–Java matrix's essentials with every peer in a container, on one container network the test creates:
 * etcd, two Go Kitex servers ({@code go-echo}) and two kitex4j servers ({@code java-echo}, the CLI's
 * {@code serve}), all built from {@code interop-tests/docker/}'s Dockerfiles with the binaries and the CLI jar of
 * this build. Every peer finds the others through etcd by the address it registered for itself: the container's
 * own address on the network.
 *
 * <p>The Go client runs in a Go server's container, the kitex4j CLI's {@code call} in a kitex4j server's
 * container, and one kitex4j client in this JVM (for the kill), which dials the containers' addresses: that needs
 * an engine whose container network the host routes to (Podman, or Docker on Linux; not Docker Desktop).
 *
 * <p>The methods run in order: the last two stop one Java and kill one Go container.
 */
@Tag("docker")
@TestMethodOrder(OrderAnnotation.class)
class DockerInteropTest {

    private static final Logger logger = LoggerFactory.getLogger(DockerInteropTest.class);
    private static final String PREFIX = "kitex/registry-etcd/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Network network;
    private static EtcdContainer etcd;
    private static GoKitexPeerContainer go1;
    private static GoKitexPeerContainer go2;
    private static Kitex4jPeerContainer java1;
    private static Kitex4jPeerContainer java2;
    private static final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void start() {
        ContainerEngine.requireOrAbort();
        final ImageFromDockerfile goImage = KitexImages.goPeer(GoPeers.binaries());
        final ImageFromDockerfile javaImage = KitexImages.javaPeer(cliJar());
        network = Network.newNetwork();
        etcd = new EtcdContainer().withNetwork(network);
        go1 = new GoKitexPeerContainer(goImage).withEtcd(etcd).withService("go-echo").withServerName("go-1");
        go2 = new GoKitexPeerContainer(goImage).withEtcd(etcd).withService("go-echo").withServerName("go-2");
        java1 = new Kitex4jPeerContainer(javaImage).withEtcd(etcd).withService("java-echo")
                .withServerName("java-1");
        java2 = new Kitex4jPeerContainer(javaImage).withEtcd(etcd).withService("java-echo")
                .withServerName("java-2");
        for (var c : List.of(etcd, go1, go2, java1, java2)) {
            c.withStartupTimeout(Duration.ofMinutes(2));
        }
        final long t0 = System.nanoTime();
        Startables.deepStart(Stream.of(go1, go2, java1, java2)).join();
        logger.info("images built and 5 containers started in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        for (var c : new org.testcontainers.containers.GenericContainer<?>[] {java2, java1, go2, go1, etcd}) {
            if (c != null) {
                c.stop();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    /** Each registered key and value carries the container's own address on the network: no 0.0.0.0, no loopback. */
    @Test
    @Order(1)
    void everyPeerRegistersItsContainerAddress() throws Exception {
        final Map<String, String> expected = new LinkedHashMap<>();
        expected.put(PREFIX + "go-echo/" + go1.networkAddress(), go1.networkAddress());
        expected.put(PREFIX + "go-echo/" + go2.networkAddress(), go2.networkAddress());
        expected.put(PREFIX + "java-echo/" + java1.networkAddress(), java1.networkAddress());
        expected.put(PREFIX + "java-echo/" + java2.networkAddress(), java2.networkAddress());
        final Map<String, String> registered = new LinkedHashMap<>();
        try (Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
            final ByteSequence prefix = ByteSequence.from(PREFIX, StandardCharsets.UTF_8);
            for (KeyValue kv : client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS).getKvs()) {
                final JsonNode value = JSON.readTree(kv.getValue().getBytes());
                registered.put(kv.getKey().toString(StandardCharsets.UTF_8), value.path("address").asText());
                assertThat(value.path("network").asText()).isEqualTo("tcp");
                assertThat(value.path("weight").asInt()).isEqualTo(10);
            }
        }
        assertThat(registered).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(registered.values()).allSatisfy(a -> assertThat(a).doesNotStartWith("0.0.0.0")
                .doesNotStartWith("127.").doesNotStartWith("["));
    }

    @Test
    @Order(2)
    void goClientCallsJavaServerOverTTHeaderWithMetainfo() throws Exception {
        final GoClientRun run = go1.runClient("-service", "java-echo", "-transport", "ttheader",
                "-scenario", "echo", "-action", "metainfo", "-transient", "from=go", "-count", "4", "-timeout", "5s");
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.calls()).hasSize(4).allSatisfy(c -> {
            assertThat(c.path("ok").asBoolean()).as("%s", c).isTrue();
            assertThat(c.path("result").path("msg").asText()).isEqualTo("from=go");
        });
    }

    @Test
    @Order(2)
    void javaCliCallsGoServerOverTTHeaderWithMetainfo() throws Exception {
        final ExecResult r = java1.call("go-echo", "--transport", "ttheader", "--action", "metainfo",
                "--meta", "from=java", "--timeout", "5000", "-n", "4");
        assertThat(r.getExitCode()).as("%s", describe(r)).isZero();
        assertThat(r.getStdout().lines().filter(l -> l.contains("Echo action=metainfo msg=from=java")))
                .as("%s", describe(r)).hasSize(4);
    }

    @Test
    @Order(2)
    void goClientCallsJavaServersOverFramed() throws Exception {
        final GoClientRun run = go2.runClient("-service", "java-echo", "-transport", "framed",
                "-scenario", "weighted", "-count", "20", "-quiet", "-timeout", "5s");
        final JsonNode summary = run.summary();
        assertThat(summary.path("failed").asInt()).as("%s", run).isZero();
        assertThat(summary.path("ok").asInt()).isEqualTo(20);
        // both kitex4j instances were found through etcd and called
        assertThat(fieldNames(summary.path("servers"))).containsExactlyInAnyOrder("java-1", "java-2");
    }

    @Test
    @Order(2)
    void javaCliCallsGoServersOverFramed() throws Exception {
        final ExecResult r = java2.call("go-echo", "--transport", "framed", "--action", "whoami",
                "--timeout", "5000", "-n", "20");
        assertThat(r.getExitCode()).as("%s", describe(r)).isZero();
        assertThat(r.getStdout()).as("%s", describe(r)).contains("Echo action=whoami msg=go-1")
                .contains("Echo action=whoami msg=go-2");
    }

    /**
     * A Go client under load while a kitex4j container is stopped ({@code docker stop}: SIGTERM): the server
     * deregisters, serves for its exit wait (6 s, longer than the 5 s refresh of Kitex's resolver cache), drains
     * and exits. No Go call may fail.
     */
    @Test
    @Order(3)
    void goClientLosesNoCallWhenAJavaContainerStopsGracefully() throws Exception {
        final CompletableFuture<GoClientRun> load = CompletableFuture.supplyAsync(() -> {
            try {
                return go1.runClient("-service", "java-echo", "-transport", "ttheader", "-scenario", "weighted",
                        "-duration", "16s", "-concurrency", "4", "-quiet", "-timeout", "5s");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // Stop java-1 once the Go client has connected to it (its 4 callers share Kitex's connection pool), so
        // that it is called before it leaves; the summary's servers must name it.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
               .until(() -> java1.establishedConnections() > 0);
        final long stopStarted = System.nanoTime();
        java1.stopGracefully(Duration.ofSeconds(30));
        final long stopMillis = (System.nanoTime() - stopStarted) / 1_000_000;
        logger.info("docker stop of java-1 took {} ms", stopMillis);
        assertThat(load).as("the load outlasts the stop").isNotDone();
        final GoClientRun run = load.get(60, TimeUnit.SECONDS);
        final JsonNode summary = run.summary();
        assertThat(summary.path("failed").asInt()).as("%s", run).isZero();
        assertThat(summary.path("ok").asInt()).isGreaterThan(100);
        assertThat(fieldNames(summary.path("servers"))).as("%s", run).containsExactlyInAnyOrder("java-1", "java-2");
        // 143 = 128 + SIGTERM: how a JVM ends on SIGTERM once its shutdown hooks have run, the graceful stop's
        // "stopped" line among them; a SIGKILL after the stop timeout would give 137 and no line.
        assertThat(java1.exitCode()).as("java-1's exit code after %d ms of stop", stopMillis).isEqualTo(143L);
        assertThat(java1.getLogs()).contains("stopped");
    }

    /**
     * A Go container killed ({@code docker kill}: no deregistration, its key stays in etcd for the lease TTL): a
     * kitex4j client calling through etcd moves to the other Go instance.
     */
    @Test
    @Order(4)
    void javaClientMovesToAnotherInstanceWhenAGoContainerIsKilled() throws Exception {
        final EtcdResolver resolver = EtcdResolver.builder().etcd(EtcdClientConfig.of(etcd.endpoint())).build();
        closeables.add(resolver);
        final KitexClient client = KitexClient.builder().service("go-echo").resolver(resolver)
                .transport(Transport.TTHEADER).rpcTimeout(Duration.ofSeconds(1)).build();
        closeables.add(0, client);
        final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
        final Map<String, Integer> servedBy = new LinkedHashMap<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            servedBy.merge(echo.Echo(new Request("whoami", "")).getMsg(), 1, Integer::sum);
            return servedBy.size() == 2;
        });
        // metainfo crosses from the test JVM too
        try (var scope = Metainfo.empty().withTransient("from", "java-jvm").attach()) {
            assertThat(echo.Echo(new Request("metainfo", "")).getMsg()).isEqualTo("from=java-jvm");
        }
        go1.kill();
        final List<Throwable> failures = new ArrayList<>();
        final int[] consecutiveFromGo2 = {0};
        int calls = 0;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consecutiveFromGo2[0] < 50 && System.nanoTime() < deadline) {
            calls++;
            try {
                final String name = echo.Echo(new Request("whoami", "")).getMsg();
                consecutiveFromGo2[0] = "go-2".equals(name) ? consecutiveFromGo2[0] + 1 : 0;
            } catch (Exception e) {
                failures.add(e);
                consecutiveFromGo2[0] = 0;
            }
        }
        logger.info("After killing go-1: {} calls, {} failed ({}), then 50 in a row from go-2", calls,
                failures.size(), failures.stream().map(Throwable::getClass).map(Class::getSimpleName).toList());
        assertThat(consecutiveFromGo2[0]).as("consecutive calls answered by go-2 after the kill (%d calls, failures: %s)",
                calls, failures).isEqualTo(50);
        // A call in flight on the killed connection may time out; the refused-instance policy and the retry on
        // connect failure keep the rest succeeding.
        assertThat(failures).as("failed calls after the kill").hasSizeLessThanOrEqualTo(2);
    }

    private static Path cliJar() {
        final String jar = System.getProperty("kitex4j.docker.cliJar");
        if (jar == null) {
            throw new IllegalStateException("-Dkitex4j.docker.cliJar is not set (interop-tests' pom sets it)");
        }
        return Path.of(jar);
    }

    private static List<String> fieldNames(JsonNode node) {
        final List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String describe(ExecResult r) {
        return "exit " + r.getExitCode() + "\nstdout: " + r.getStdout() + "\nstderr: " + r.getStderr();
    }
}
