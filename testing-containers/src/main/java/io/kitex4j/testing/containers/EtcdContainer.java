package io.kitex4j.testing.containers;

import static java.util.Objects.requireNonNull;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A single-member etcd for Kitex peers in containers: other containers on its network reach it at
 * {@link #networkEndpoint()} ({@code http://etcd:2379} by default), the test JVM at {@link #endpoint()} (a port
 * mapped on the host).
 *
 * <pre>{@code
 * Network network = Network.newNetwork();
 * EtcdContainer etcd = new EtcdContainer().withNetwork(network);
 * etcd.start();
 * EtcdResolver resolver = EtcdResolver.builder().etcd(EtcdClientConfig.of(etcd.endpoint())).build();
 * }</pre>
 */
public final class EtcdContainer extends GenericContainer<EtcdContainer> {

    /** etcd's client port. */
    public static final int CLIENT_PORT = 2379;
    /** The network alias, unless {@link #withAlias(String)} says otherwise. */
    public static final String DEFAULT_ALIAS = "etcd";

    private String alias = DEFAULT_ALIAS;

    /** etcd from {@link KitexImages#etcd()}. */
    public EtcdContainer() {
        this(KitexImages.etcd());
    }

    /** etcd from {@code image}: any image with an {@code etcd} (3.4 or later) on its PATH. */
    public EtcdContainer(DockerImageName image) {
        super(requireNonNull(image, "image"));
        withExposedPorts(CLIENT_PORT);
        waitingFor(Wait.forLogMessage("(?s).*ready to serve client requests.*", 1));
    }

    /** The name other containers on the network know it by (default {@value #DEFAULT_ALIAS}). */
    public EtcdContainer withAlias(String alias) {
        if (alias == null || !alias.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*")) {
            throw new IllegalArgumentException("alias: '" + alias + "' (expected: a host name)");
        }
        this.alias = alias;
        return self();
    }

    @Override
    protected void configure() {
        withNetworkAliases(alias);
        setCommand("etcd", "--name", alias, "--data-dir", "/tmp/etcd-data",
                "--listen-client-urls", "http://0.0.0.0:" + CLIENT_PORT,
                "--advertise-client-urls", networkEndpoint());
    }

    /** The endpoint for containers on the same network: {@code http://<alias>:2379}. */
    public String networkEndpoint() {
        return "http://" + alias + ":" + CLIENT_PORT;
    }

    /** The endpoint for the test JVM: the mapped client port on the container engine's host. */
    public String endpoint() {
        return "http://" + getHost() + ":" + getMappedPort(CLIENT_PORT);
    }
}
