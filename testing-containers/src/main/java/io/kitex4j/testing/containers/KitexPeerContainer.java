package io.kitex4j.testing.containers;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

import com.github.dockerjava.api.model.ContainerNetwork;

/**
 * What the Go Kitex peer and the kitex4j peer have in common: a Kitex server on port {@value #PORT}, registered in
 * an {@link EtcdContainer} under a service name, with a name it answers to action {@code whoami}, and stopped
 * gracefully ({@code docker stop}: SIGTERM) or killed ({@code docker kill}: SIGKILL).
 *
 * @param <SELF> the concrete type, for chained {@code with...} calls
 */
public abstract class KitexPeerContainer<SELF extends KitexPeerContainer<SELF>> extends GenericContainer<SELF> {

    /** The port the peer listens on, on every interface of its container. */
    public static final int PORT = 8888;

    EtcdContainer etcd;
    String service;
    String serverName;
    final List<String> extraArgs = new ArrayList<>();

    KitexPeerContainer(Future<String> image) {
        super(requireNonNull(image, "image"));
    }

    KitexPeerContainer(DockerImageName image) {
        super(requireNonNull(image, "image"));
    }

    /**
     * Registers the peer in {@code etcd} (and its clients discover through it); also joins etcd's network when
     * this container has none yet, and starts after etcd.
     */
    public SELF withEtcd(EtcdContainer etcd) {
        this.etcd = requireNonNull(etcd, "etcd");
        if (getNetwork() == null && etcd.getNetwork() != null) {
            withNetwork(etcd.getNetwork());
        }
        dependsOn(etcd);
        return self();
    }

    /** The service name the peer registers under (needs {@link #withEtcd(EtcdContainer)}). */
    public SELF withService(String service) {
        if (service == null || service.isEmpty() || service.contains("/")) {
            throw new IllegalArgumentException("service: '" + service + "' (expected: a non-empty name without '/')");
        }
        this.service = service;
        return self();
    }

    /** The name the server answers to action {@code whoami} (default: the service name). */
    public SELF withServerName(String serverName) {
        this.serverName = requireNonNull(serverName, "serverName");
        return self();
    }

    /** More arguments for the server, after the ones this class sets. */
    public SELF withServerArgs(String... args) {
        extraArgs.addAll(List.of(args));
        return self();
    }

    @Override
    protected void configure() {
        if (service != null && etcd == null) {
            throw new IllegalStateException("service '" + service + "' set without withEtcd(...) (expected: both)");
        }
        if (getNetwork() == null) {
            withNetwork(Network.SHARED);
        }
    }

    /**
     * The server's command line: {@code first}, then the etcd endpoint and service (when registering) and the
     * server name, under the peer's own flag names, then {@link #withServerArgs}.
     */
    String[] serverCommand(List<String> first, String etcdFlag, String serviceFlag, String nameFlag) {
        final List<String> cmd = new ArrayList<>(first);
        if (service != null) {
            cmd.addAll(List.of(etcdFlag, etcdEndpoint(), serviceFlag, service));
        }
        if (serverName != null) {
            cmd.addAll(List.of(nameFlag, serverName));
        }
        cmd.addAll(extraArgs);
        return args(cmd);
    }

    /** The etcd endpoint for other containers, or fails when the peer has no etcd. */
    String etcdEndpoint() {
        if (etcd == null) {
            throw new IllegalStateException("no etcd: call withEtcd(...) first");
        }
        return etcd.networkEndpoint();
    }

    /** The container's IPv4 address on its network: what a peer registers for itself. */
    public String networkIp() {
        final String networkId = getNetwork().getId();
        // Docker keys a container's networks by name and gives the ID beside it; Podman's API may give its own
        // ID there: match the ID, else the name the engine reports for it.
        final Map<String, ContainerNetwork> networks = getContainerInfo().getNetworkSettings().getNetworks();
        String name = null;
        for (var e : networks.entrySet()) {
            if (networkId.equals(e.getValue().getNetworkID()) || networkId.equals(e.getKey())) {
                return e.getValue().getIpAddress();
            }
        }
        name = getDockerClient().inspectNetworkCmd().withNetworkId(networkId).exec().getName();
        final ContainerNetwork byName = networks.get(name);
        if (byName == null) {
            throw new IllegalStateException("container " + getContainerId() + " has no address on network " + name
                    + " (its networks: " + networks.keySet() + ")");
        }
        return byName.getIpAddress();
    }

    /** {@code <networkIp>:8888}: the address the peer should be registered with. */
    public String networkAddress() {
        return networkIp() + ":" + PORT;
    }

    /**
     * Stops the peer as {@code docker stop} does: SIGTERM, then SIGKILL after {@code timeout}. A Kitex server
     * deregisters, serves for its exit wait and drains in that time. The container is kept, so its logs and exit
     * code can still be read ({@link #exitCode()}); {@link #stop()} removes it.
     */
    public void stopGracefully(Duration timeout) {
        final int seconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toSeconds()));
        getDockerClient().stopContainerCmd(getContainerId()).withTimeout(seconds).exec();
    }

    /** Kills the peer as {@code docker kill} does (SIGKILL): no deregistration, its etcd key stays. */
    public void kill() {
        getDockerClient().killContainerCmd(getContainerId()).exec();
    }

    /** The exit code of a container that has stopped, or null while it runs. */
    public Long exitCode() {
        final var state = getDockerClient().inspectContainerCmd(getContainerId()).exec().getState();
        return Boolean.TRUE.equals(state.getRunning()) ? null : state.getExitCodeLong();
    }

    static String[] args(List<String> a) {
        return a.toArray(String[]::new);
    }
}
