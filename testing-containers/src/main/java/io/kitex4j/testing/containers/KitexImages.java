package io.kitex4j.testing.containers;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;

import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * The images of a Dockerised Go–Java test: etcd, and the Go Kitex and kitex4j peers built from the Dockerfiles of
 * kitex4j's {@code interop-tests/docker/} (carried in this jar) from artifacts built on the host, so that no build
 * step inside an image reaches a network.
 *
 * <p>Each base image is a public one by default, and can be replaced through an environment variable, which is how
 * kitex4j's own tests run on a machine without an image registry ({@code interop-tests/docker/engine.sh} builds
 * local bases and exports these variables):
 * <table>
 *   <caption>Base images</caption>
 *   <tr><th>variable</th><th>default</th><th>used for</th></tr>
 *   <tr><td>{@value #ETCD_IMAGE_ENV}</td><td>{@value #DEFAULT_ETCD_IMAGE}</td><td>{@link EtcdContainer}</td></tr>
 *   <tr><td>{@value #JRE_IMAGE_ENV}</td><td>{@value #DEFAULT_JRE_IMAGE}</td><td>{@link #javaPeer(Path)}</td></tr>
 *   <tr><td>{@value #STATIC_IMAGE_ENV}</td><td>{@value #DEFAULT_STATIC_IMAGE}</td><td>{@link #goPeer(Path)}</td></tr>
 * </table>
 */
public final class KitexImages {

    /** Environment variable naming the etcd image (any image with an {@code etcd} on its PATH). */
    public static final String ETCD_IMAGE_ENV = "KITEX4J_ETCD_IMAGE";
    /** Environment variable naming the Java peer's base image (any image with a Java 17+ {@code java}). */
    public static final String JRE_IMAGE_ENV = "KITEX4J_JRE_IMAGE";
    /** Environment variable naming the Go peer's base image ({@code scratch} works: the binaries are static). */
    public static final String STATIC_IMAGE_ENV = "KITEX4J_STATIC_IMAGE";

    /** The official etcd image. */
    public static final String DEFAULT_ETCD_IMAGE = "quay.io/coreos/etcd:v3.5.17";
    /** Eclipse Temurin's Java 17 JRE. */
    public static final String DEFAULT_JRE_IMAGE = "eclipse-temurin:17-jre";
    /** Distroless static, for static Go binaries. */
    public static final String DEFAULT_STATIC_IMAGE = "gcr.io/distroless/static-debian12";

    private static final String DOCKERFILES = "io/kitex4j/testing/containers/";

    private KitexImages() {
    }

    /** {@value #ETCD_IMAGE_ENV} if set, else {@value #DEFAULT_ETCD_IMAGE}. */
    public static DockerImageName etcd() {
        return DockerImageName.parse(fromEnv(ETCD_IMAGE_ENV, DEFAULT_ETCD_IMAGE));
    }

    /**
     * The Go Kitex peer (interop-tests/go's {@code server}, with its {@code client} beside it) from binaries built
     * on the host with kitex4j's {@code interop-tests/go/build-peers.sh DIR} (static Linux binaries).
     *
     * @param binaries the directory holding the static Linux binaries {@code server} and {@code client}
     */
    public static ImageFromDockerfile goPeer(Path binaries) {
        requireNonNull(binaries, "binaries");
        final Path server = existing(binaries.resolve("server"), "binaries", "a static Linux build of cmd/server");
        final Path client = existing(binaries.resolve("client"), "binaries", "a static Linux build of cmd/client");
        return new ImageFromDockerfile("localhost/kitex4j/go-peer", false)
                .withFileFromClasspath("Dockerfile", DOCKERFILES + "Dockerfile.go-peer")
                .withFileFromPath("interop-tests/go/bin/server", server)
                .withFileFromPath("interop-tests/go/bin/client", client)
                .withBuildArg("BINARIES", "host")
                .withBuildArg("RUNTIME_IMAGE", fromEnv(STATIC_IMAGE_ENV, DEFAULT_STATIC_IMAGE));
    }

    /**
     * The kitex4j peer (the kitex4j CLI: {@code serve}, {@code call}, ...) from the CLI's jar built on the host
     * ({@code mvn -pl cli -am package} in kitex4j, or the {@code io.kitex4j:kitex4j-cli} artifact).
     */
    public static ImageFromDockerfile javaPeer(Path cliJar) {
        requireNonNull(cliJar, "cliJar");
        existing(cliJar, "cliJar", "the kitex4j CLI's jar (cli/target/kitex4j-cli.jar)");
        return new ImageFromDockerfile("localhost/kitex4j/java-peer", false)
                .withFileFromClasspath("Dockerfile", DOCKERFILES + "Dockerfile.java-peer")
                .withFileFromPath("cli/target/kitex4j-cli.jar", cliJar)
                .withBuildArg("CLI_JAR", "host")
                .withBuildArg("JRE_IMAGE", fromEnv(JRE_IMAGE_ENV, DEFAULT_JRE_IMAGE));
    }

    private static Path existing(Path file, String argument, String expected) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(argument + ": " + file + " does not exist (expected: " + expected
                    + ")");
        }
        return file;
    }

    static String fromEnv(String name, String otherwise) {
        final String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : v.trim();
    }
}
