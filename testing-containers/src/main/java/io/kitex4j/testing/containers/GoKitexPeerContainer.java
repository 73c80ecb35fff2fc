package io.kitex4j.testing.containers;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The Go Kitex peer of kitex4j's {@code interop-tests/go} (Kitex v0.16.3, registry-etcd v0.3.0) in a container:
 * its {@code server} runs as the container's process, on Kitex's default listen address {@code :8888}, so that
 * registry-etcd registers the container's own address; its {@code client} runs in the same container with
 * {@link #runClient(String...)}. The server serves echo.thrift's {@code EchoServer} (action {@code whoami}: its
 * name; {@code metainfo}: the transient metainfo it received) and interop.thrift's {@code InteropService}.
 *
 * <pre>{@code
 * GoKitexPeerContainer go = new GoKitexPeerContainer(KitexImages.goPeer(binaries))
 *         .withEtcd(etcd).withService("go-echo").withServerName("go-1");
 * go.start();
 * GoClientRun run = go.runClient("-service", "java-echo", "-transport", "ttheader", "-count", "10");
 * assertThat(run.summary().get("failed").asInt()).isZero();
 * }</pre>
 */
public final class GoKitexPeerContainer extends KitexPeerContainer<GoKitexPeerContainer> {

    /** Where the image keeps the client. */
    public static final String CLIENT = "/usr/local/bin/client";

    /** A peer from an image built by {@link KitexImages#goPeer}. */
    public GoKitexPeerContainer(Future<String> image) {
        super(image);
    }

    /** A peer from an image of {@code interop-tests/docker/Dockerfile.go-peer} built beforehand. */
    public GoKitexPeerContainer(DockerImageName image) {
        super(image);
    }

    @Override
    protected void configure() {
        super.configure();
        setCommand(serverCommand(List.of("-addr", ":" + PORT), "-etcd", "-service", "-name"));
        waitingFor(Wait.forLogMessage(service != null ? "(?s).*\"event\":\"registered\".*"
                : "(?s).*\"event\":\"serving\".*", 1));
    }

    /**
     * Runs the Go client in this container and waits for it; with {@link #withEtcd(EtcdContainer)}, it discovers
     * through that etcd ({@code -etcd} comes first, so {@code args} may name {@code -service} or override it).
     * The client's flags: {@code -service}, {@code -transport buffered|framed|ttheader|ttheader-framed},
     * {@code -scenario echo|weighted|callInfo|...}, {@code -action}, {@code -count}, {@code -duration},
     * {@code -concurrency}, {@code -transient k=v}, {@code -quiet}; see {@code interop-tests/go/cmd/client}.
     */
    public GoClientRun runClient(String... args) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(CLIENT));
        if (etcd != null) {
            cmd.addAll(List.of("-etcd", etcd.networkEndpoint()));
        }
        cmd.addAll(List.of(args));
        final ExecResult r = execInContainer(args(cmd));
        return GoClientRun.of(cmd, r.getExitCode(), r.getStdout(), r.getStderr());
    }
}
