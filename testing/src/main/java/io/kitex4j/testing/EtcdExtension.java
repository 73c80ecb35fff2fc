package io.kitex4j.testing;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.etcdlauncher.EtcdMode;
import io.kitex4j.etcdlauncher.TlsFiles;

/**
 * A JUnit 5 extension that runs a real {@link EtcdCluster} for a test class or for each test.
 *
 * <pre>{@code
 * class MyTest {
 *     @RegisterExtension
 *     static final EtcdExtension ETCD = EtcdExtension.builder().members(3).mode(EtcdMode.AUTH).build();
 *
 *     @Test
 *     void test() throws Exception {
 *         try (Client client = ETCD.newClient()) {
 *             ...
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Registered on a {@code static} field, the cluster is started before all tests of the class (in
 * {@code beforeAll}) and closed after them; registered on an instance field, JUnit does not call
 * {@code beforeAll}, so a fresh cluster is started before each test and closed after it. Whichever callback
 * started the cluster is the one that closes it, so {@code @Nested} classes share their outer class's cluster.
 *
 * <p>If no etcd executable is found the tests fail (they are never skipped), with a message that says how to
 * install etcd ({@code apt-get install -y etcd-server}) or point {@code ETCD_BIN} at it.
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
                                            AfterEachCallback {

    /**
     * Returns a new {@link Builder}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns an extension that runs a single {@link EtcdMode#PLAIN} member.
     */
    public static EtcdExtension single() {
        return builder().build();
    }

    /**
     * Returns an extension that runs three {@link EtcdMode#PLAIN} members.
     *
     * <p>This cannot be called {@code cluster()}: Java does not allow a static and an instance method with the
     * same signature, and {@link #cluster()} returns the running cluster.
     */
    public static EtcdExtension threeMemberCluster() {
        return builder().members(3).build();
    }

    private final int members;
    private final EtcdMode mode;
    private final Path etcdBinary;
    private final Duration startTimeout;

    // Guarded by this.
    private EtcdCluster cluster;
    // The unique ID of the JUnit context (class or method) whose "before" callback started the cluster.
    private String ownerContextId;

    private EtcdExtension(Builder builder) {
        members = builder.members;
        mode = builder.mode;
        etcdBinary = builder.etcdBinary;
        startTimeout = builder.startTimeout;
    }

    /**
     * Starts the cluster for the whole test class; called by JUnit when the extension is registered on a
     * {@code static} field.
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        startIfNotRunning(context);
    }

    /**
     * Closes the cluster if {@link #beforeAll(ExtensionContext)} of the same class started it.
     */
    @Override
    public void afterAll(ExtensionContext context) {
        closeIfStartedBy(context);
    }

    /**
     * Starts a cluster for this test unless one is already running for the class; the cluster is started here
     * when the extension is registered on an instance field.
     */
    @Override
    public void beforeEach(ExtensionContext context) {
        startIfNotRunning(context);
    }

    /**
     * Closes the cluster if {@link #beforeEach(ExtensionContext)} of the same test started it.
     */
    @Override
    public void afterEach(ExtensionContext context) {
        closeIfStartedBy(context);
    }

    /**
     * Returns the running cluster, e.g. to stop, kill or wipe members.
     *
     * @throws IllegalStateException if the cluster is not running, e.g. outside a test
     */
    public synchronized EtcdCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException(
                    "etcd is not running: register this EtcdExtension with @RegisterExtension and use it from "
                    + "a test or a lifecycle method");
        }
        return cluster;
    }

    /**
     * Returns the client URLs of the members, e.g. {@code http://127.0.0.1:40123} ({@code https://} in
     * {@link EtcdMode#TLS} mode), one per member.
     */
    public List<String> endpoints() {
        return cluster().endpoints();
    }

    /**
     * Returns the configured security mode. Unlike the other accessors, this works before the cluster runs.
     */
    public EtcdMode mode() {
        return mode;
    }

    /**
     * Returns {@code "root"} in {@link EtcdMode#AUTH} mode, or {@code null} otherwise.
     */
    public String username() {
        return mode == EtcdMode.AUTH ? EtcdCluster.ROOT_USER : null;
    }

    /**
     * Returns the random password of {@link #username()} in {@link EtcdMode#AUTH} mode, or {@code null}
     * otherwise.
     */
    public String password() {
        return cluster().password();
    }

    /**
     * Returns the CA, client certificate and client key in {@link EtcdMode#TLS} mode, or {@code null} otherwise.
     */
    public TlsFiles tls() {
        return cluster().tls();
    }

    /**
     * Returns a new jetcd client for all members, with the credentials or certificates the {@link #mode()}
     * needs. The caller must close it.
     */
    public Client newClient() {
        return cluster().newClient();
    }

    /**
     * Returns a jetcd {@link ClientBuilder} configured like {@link #newClient()}, for callers that need more
     * settings.
     */
    public ClientBuilder newClientBuilder() {
        return cluster().newClientBuilder();
    }

    @Override
    public synchronized String toString() {
        return "EtcdExtension{members=" + members + ", mode=" + mode + ", cluster=" + cluster + '}';
    }

    private synchronized void startIfNotRunning(ExtensionContext context) {
        if (cluster != null) {
            return;
        }
        final EtcdCluster.Builder builder = EtcdCluster.builder().members(members).mode(mode)
                                                       .startTimeout(startTimeout);
        if (etcdBinary != null) {
            builder.etcdBinary(etcdBinary);
        }
        cluster = builder.start();
        ownerContextId = context.getUniqueId();
    }

    private synchronized void closeIfStartedBy(ExtensionContext context) {
        if (cluster == null || !context.getUniqueId().equals(ownerContextId)) {
            return;
        }
        try {
            cluster.close();
        } finally {
            cluster = null;
            ownerContextId = null;
        }
    }

    /**
     * Builds an {@link EtcdExtension}.
     */
    public static final class Builder {

        private int members = 1;
        private EtcdMode mode = EtcdMode.PLAIN;
        private Path etcdBinary;
        private Duration startTimeout = Duration.ofSeconds(30);

        Builder() {}

        /**
         * Sets the number of members: 1 (the default) or 3; up to 7 are accepted.
         */
        public Builder members(int members) {
            // Validate now rather than in beforeAll, where the stack trace would not point at the field.
            EtcdCluster.builder().members(members);
            this.members = members;
            return this;
        }

        /**
         * Sets the security mode; {@link EtcdMode#PLAIN} by default.
         */
        public Builder mode(EtcdMode mode) {
            this.mode = requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Sets the etcd executable; by default {@code ETCD_BIN}, else {@code etcd} on {@code PATH}.
         */
        public Builder etcdBinary(Path etcdBinary) {
            this.etcdBinary = requireNonNull(etcdBinary, "etcdBinary");
            return this;
        }

        /**
         * Sets how long a member may take to serve after launch; 30 seconds by default.
         */
        public Builder startTimeout(Duration startTimeout) {
            EtcdCluster.builder().startTimeout(startTimeout);
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * Returns a new {@link EtcdExtension}; nothing is started until JUnit calls it.
         */
        public EtcdExtension build() {
            return new EtcdExtension(this);
        }
    }
}
