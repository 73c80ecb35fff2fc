package io.kitex4j.interop.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A Docker variant of two matrix cells, over the images of {@code interop-tests/docker/} (the same Go binaries,
 * kitex4j CLI and flags as {@code docker-compose.yml}): etcd, the Go server and the Java server on one Docker
 * network; (1) the Go client finds the Java server through etcd and calls Echo over TTHeader, (2) the Java CLI's
 * {@code call} finds the Go server through etcd and calls Echo. Both clients run with {@code docker exec} in the
 * peer containers, which already hold them.
 *
 * <p>Without a Docker engine (this project's machines and CI) both tests are reported as skipped, reason
 * "disabledWithoutDocker is true and Docker is not available" (in the surefire XML report); Testcontainers' probe
 * takes well under a second then, and nothing is started.
 */
@Testcontainers(disabledWithoutDocker = true)
class DockerInteropTest {

    private static final String ETCD = "http://etcd:2379";

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Network network;
    private static final List<GenericContainer<?>> started = new ArrayList<>();
    private static GenericContainer<?> goServer;
    private static GenericContainer<?> javaServer;

    @BeforeAll
    static void start() {
        final Path root = repositoryRoot();
        network = Network.newNetwork();
        start(new GenericContainer<>(DockerImageName.parse("quay.io/coreos/etcd:v3.5.17"))
                .withNetworkAliases("etcd")
                .withCommand("etcd", "--listen-client-urls=http://0.0.0.0:2379",
                        "--advertise-client-urls=" + ETCD)
                .waitingFor(Wait.forLogMessage("(?s).*ready to serve client requests.*", 1)));
        // registry-etcd registers 0.0.0.0 verbatim, which no other container can dial: register the alias.
        goServer = start(new GenericContainer<>(image(root, "Dockerfile.go-peer"))
                .withNetworkAliases("go-server")
                .withEnv("KITEX_IP_TO_REGISTRY", "go-server")
                .withCommand("-addr", "0.0.0.0:8888", "-etcd", ETCD, "-service", "go-echo", "-name", "go-server")
                .waitingFor(Wait.forLogMessage("(?s).*\"event\":\"registered\".*", 1)
                        .withStartupTimeout(Duration.ofMinutes(2))));
        javaServer = start(new GenericContainer<>(image(root, "Dockerfile.java-peer"))
                .withNetworkAliases("java-server")
                .withCommand("serve", "--addr", "0.0.0.0:8888", "--etcd", ETCD, "--service", "java-echo")
                .waitingFor(Wait.forLogMessage("(?s).*registered as java-echo.*", 1)
                        .withStartupTimeout(Duration.ofMinutes(2))));
    }

    @AfterAll
    static void stop() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).stop();
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    void goClientFindsJavaServerThroughEtcdOverTTHeader() throws Exception {
        final ExecResult r = goServer.execInContainer("/usr/local/bin/client", "-etcd", ETCD, "-service",
                "java-echo", "-transport", "ttheader", "-scenario", "echo", "-msg", "hi from go", "-count", "1",
                "-timeout", "10s");
        assertThat(r.getExitCode()).as("%s", describe(r)).isZero();
        final List<JsonNode> lines = r.getStdout().lines().map(DockerInteropTest::json).toList();
        final JsonNode call = lines.stream().filter(l -> "call".equals(l.path("event").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no call line: " + describe(r)));
        assertThat(call.path("ok").asBoolean()).as("%s", describe(r)).isTrue();
        assertThat(call.path("result").path("msg").asText()).isEqualTo("hi from go");
    }

    @Test
    void javaCliFindsGoServerThroughEtcd() throws Exception {
        // action "whoami": the Go server answers with its --name, so the answer shows who was called
        final ExecResult r = javaServer.execInContainer("java", "-jar", "/opt/kitex4j/kitex4j-cli.jar", "call",
                "--etcd", ETCD, "--service", "go-echo", "--transport", "ttheader", "--action", "whoami",
                "--timeout", "10000", "-n", "1");
        assertThat(r.getExitCode()).as("%s", describe(r)).isZero();
        assertThat(r.getStdout()).as("%s", describe(r)).contains("Echo action=whoami msg=go-server");
    }

    private static GenericContainer<?> start(GenericContainer<?> c) {
        c.withNetwork(network).start();
        started.add(c);
        return c;
    }

    /**
     * One of interop-tests/docker's Dockerfiles, built with the repository root as context (less .git, target/).
     * {@code withDockerfilePath} is deprecated, but {@code withDockerfile(Path)} makes the Dockerfile's directory the
     * context and ignores the files added here (testcontainers-java#2771).
     */
    @SuppressWarnings("deprecation")
    private static ImageFromDockerfile image(Path root, String dockerfile) {
        final ImageFromDockerfile image = new ImageFromDockerfile()
                .withDockerfilePath("interop-tests/docker/" + dockerfile);
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile)
                    .filter(f -> {
                        for (Path part : root.relativize(f)) {
                            final String p = part.toString();
                            if (p.equals(".git") || p.equals("target")) {
                                return false;
                            }
                        }
                        return !root.relativize(f).startsWith(Path.of("interop-tests", "go", "bin"));
                    })
                    .forEach(f -> image.withFileFromPath(root.relativize(f).toString().replace('\\', '/'), f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return image;
    }

    private static Path repositoryRoot() {
        final String goDir = System.getProperty("kitex4j.interop.goDir");
        final Path module = goDir != null ? Path.of(goDir).getParent() : Path.of("").toAbsolutePath();
        return module.getParent();
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(ExecResult r) {
        return "exit " + r.getExitCode() + "\nstdout: " + r.getStdout() + "\nstderr: " + r.getStderr();
    }
}
