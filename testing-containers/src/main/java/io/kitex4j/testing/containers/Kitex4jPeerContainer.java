package io.kitex4j.testing.containers;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The kitex4j peer in a container: {@code kitex4j serve}, an echo.thrift {@code EchoServer} on {@code 0.0.0.0:8888}
 * that registers the container's first non-loopback IPv4 (action {@code whoami}: its name; {@code metainfo}: the
 * transient metainfo it received), stopping gracefully on SIGTERM; and the CLI's other commands
 * ({@code call}, {@code ls}, {@code watch}) with {@link #cli(String...)}.
 *
 * <pre>{@code
 * Kitex4jPeerContainer java = new Kitex4jPeerContainer(KitexImages.javaPeer(cliJar))
 *         .withEtcd(etcd).withService("java-echo");
 * java.start();
 * ExecResult r = java.call("go-echo", "--transport", "ttheader", "--action", "whoami");
 * }</pre>
 */
public final class Kitex4jPeerContainer extends KitexPeerContainer<Kitex4jPeerContainer> {

    private static final String[] JAVA = {"java", "-jar", "/opt/kitex4j/kitex4j-cli.jar"};

    /** A peer from an image built by {@link KitexImages#javaPeer}. */
    public Kitex4jPeerContainer(Future<String> image) {
        super(image);
    }

    /** A peer from an image of {@code interop-tests/docker/Dockerfile.java-peer} built beforehand. */
    public Kitex4jPeerContainer(DockerImageName image) {
        super(image);
    }

    @Override
    protected void configure() {
        super.configure();
        setCommand(serverCommand(List.of("serve", "--addr", "0.0.0.0:" + PORT), "--etcd", "--service", "--name"));
        waitingFor(Wait.forLogMessage(service != null ? "(?s).*registered as " + service + ".*"
                : "(?s).*serving EchoServer on.*", 1));
    }

    /**
     * The TCP connections established to the server's port now, read from the container's
     * {@code /proc/net/tcp} and {@code /proc/net/tcp6} (the image needs {@code cat}, as Debian-based JRE images
     * have): a test can wait for its clients to have connected before it stops the server.
     */
    public int establishedConnections() throws IOException, InterruptedException {
        final ExecResult r = execInContainer("cat", "/proc/net/tcp", "/proc/net/tcp6");
        if (r.getExitCode() != 0 && r.getStdout().isEmpty()) {
            throw new IOException("cat /proc/net/tcp failed in " + getContainerId() + ": " + r.getStderr());
        }
        final String port = String.format(":%04X", PORT);
        int established = 0;
        for (String line : r.getStdout().split("\n")) {
            // "  sl  local_address rem_address   st ...": st 01 is ESTABLISHED
            final String[] f = line.trim().split("\\s+");
            if (f.length > 3 && f[1].endsWith(port) && "01".equals(f[3])) {
                established++;
            }
        }
        return established;
    }

    /** Runs {@code kitex4j ARGS...} in this container and waits for it. */
    public ExecResult cli(String... args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(JAVA));
        cmd.addAll(List.of(args));
        return execInContainer(args(cmd));
    }

    /**
     * {@code kitex4j call --etcd <etcd> --service SERVICE ARGS...}: calls {@code EchoServer.Echo} on an instance of
     * {@code service} found through this peer's etcd, and prints {@code Echo action=... msg=...} per call.
     */
    public ExecResult call(String service, String... args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of("call", "--etcd", etcdEndpoint(), "--service", service));
        cmd.addAll(List.of(args));
        return cli(args(cmd));
    }
}
