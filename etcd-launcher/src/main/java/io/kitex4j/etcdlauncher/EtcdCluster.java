package io.kitex4j.etcdlauncher;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

import javax.net.ssl.SSLException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.Cluster;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.cluster.Member;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;

/**
 * A cluster of real etcd processes on the loopback interface, for tests and demos. Does not need JUnit; see
 * {@link EtcdExtension} for the JUnit 5 integration.
 *
 * <pre>{@code
 * try (EtcdCluster etcd = EtcdCluster.builder().members(3).mode(EtcdMode.AUTH).start();
 *      Client client = etcd.newClient()) {
 *     client.getKVClient().put(key, value).get();
 *     etcd.leader().kill();
 * }
 * }</pre>
 *
 * <p>Each member gets free loopback ports (one client, one peer), its own data directory and log file under a
 * fresh temporary directory, and the cluster gets a unique {@code --initial-cluster-token}. {@link #close()}
 * kills every member and deletes the temporary directory; a JVM shutdown hook does the same for clusters that
 * were never closed.
 *
 * <h2>Modes</h2>
 * <ul>
 *   <li>{@link EtcdMode#PLAIN}: {@code http://} client URLs.</li>
 *   <li>{@link EtcdMode#AUTH}: after start, user {@code root} with a random {@linkplain #password() password} is
 *       added and granted the {@code root} role through the etcd Auth API, then auth is enabled.</li>
 *   <li>{@link EtcdMode#TLS}: a CA, server and client certificate are generated; members serve {@code https://}
 *       client URLs with {@code --client-cert-auth}. Peers talk plain {@code http://}. The jetcd clients built
 *       here pass an {@link SslContext} made by {@link GrpcSslContexts#forClient()} and need no
 *       {@link ClientBuilder#authority(String)}: jetcd's {@code ip:///} target gives each address the authority
 *       {@code 127.0.0.1:PORT}, and the server certificate carries {@code IP:127.0.0.1}. Setting
 *       {@code authority("localhost")} or {@code authority("etcd")} also works, since both are DNS SANs.</li>
 * </ul>
 */
public final class EtcdCluster implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(EtcdCluster.class);

    /**
     * The user that {@link EtcdMode#AUTH} mode creates, with the role {@code root}.
     */
    public static final String ROOT_USER = "root";

    private static final int MAX_MEMBERS = 7;
    private static final int MAX_START_ATTEMPTS = 3;
    private static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);
    private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(5);

    private static final SecureRandom random = new SecureRandom();

    /**
     * Returns a new {@link Builder}.
     */
    public static Builder builder() {
        return new Builder();
    }

    private final Path etcdBinary;
    private final EtcdMode mode;
    private final Duration startTimeout;
    private final IntFunction<int[]> portAllocator;
    private final Path baseDir;
    private final String clusterToken;
    private final String password;
    private final TestCertificates.Generated certificates;
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile List<EtcdMember> members = List.of();
    private volatile SslContext clientSslContext;

    private EtcdCluster(Path etcdBinary, EtcdMode mode, Duration startTimeout, IntFunction<int[]> portAllocator,
                        Path baseDir) {
        this.etcdBinary = etcdBinary;
        this.mode = mode;
        this.startTimeout = startTimeout;
        this.portAllocator = portAllocator;
        this.baseDir = baseDir;
        clusterToken = "kitex4j-" + UUID.randomUUID();
        password = mode == EtcdMode.AUTH ? newPassword() : null;
        certificates = mode == EtcdMode.TLS ? generateCertificates(baseDir.resolve("tls")) : null;
    }

    private static TestCertificates.Generated generateCertificates(Path directory) {
        // BouncyCastle is optional here so that the CLI's demo (PLAIN only) ships without it; kitex4j-testing
        // brings it, and TestCertificates is not loaded unless TLS mode asks for it.
        try {
            Class.forName("org.bouncycastle.cert.X509v3CertificateBuilder", false,
                          EtcdCluster.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(
                    "EtcdMode.TLS needs BouncyCastle on the class path (expected: "
                    + "org.bouncycastle:bcpkix-jdk18on, which kitex4j-testing depends on)", e);
        }
        return TestCertificates.generate(directory);
    }

    /**
     * Returns the members, in start order ({@code etcd-0}, {@code etcd-1}, ...).
     */
    public List<EtcdMember> members() {
        return members;
    }

    /**
     * Returns the member at {@code index} (0-based).
     *
     * @throws IndexOutOfBoundsException if there is no such member
     */
    public EtcdMember member(int index) {
        return members.get(index);
    }

    /**
     * Asks the running members (Maintenance Status API) which one is the leader and returns it. Right after a
     * leader was stopped or killed there is no leader until the others elect one, so this waits for an election
     * for up to the start timeout.
     *
     * @throws IllegalStateException if no running member reports itself as leader within the start timeout, e.g.
     *                               because a majority of the members is down
     */
    public EtcdMember leader() {
        checkOpen();
        return awaitLeader(Instant.now().plus(startTimeout));
    }

    /**
     * Returns the client URLs of all members, e.g. {@code http://127.0.0.1:40123} ({@code https://} in
     * {@link EtcdMode#TLS} mode), in member order.
     */
    public List<String> endpoints() {
        return members.stream().map(EtcdMember::clientEndpoint).collect(Collectors.toUnmodifiableList());
    }

    /**
     * Returns the security mode of this cluster.
     */
    public EtcdMode mode() {
        return mode;
    }

    /**
     * Returns {@code "root"} in {@link EtcdMode#AUTH} mode, or {@code null} otherwise.
     */
    public String username() {
        return mode == EtcdMode.AUTH ? ROOT_USER : null;
    }

    /**
     * Returns the random password of {@link #username()} in {@link EtcdMode#AUTH} mode, or {@code null}
     * otherwise.
     */
    public String password() {
        return password;
    }

    /**
     * Returns the CA, client certificate and client key in {@link EtcdMode#TLS} mode, or {@code null} otherwise.
     */
    public TlsFiles tls() {
        return certificates != null ? certificates.clientFiles() : null;
    }

    /**
     * Returns the start timeout: how long a member may take to serve after it was launched.
     */
    public Duration startTimeout() {
        return startTimeout;
    }

    /**
     * Returns the temporary directory that holds the members' data directories, logs and TLS files; it is
     * deleted by {@link #close()}.
     */
    public Path baseDir() {
        return baseDir;
    }

    /**
     * Returns a new jetcd client for all members, configured for the {@link #mode()}: user and password in
     * {@link EtcdMode#AUTH} mode, the generated certificates in {@link EtcdMode#TLS} mode. The caller must close
     * it.
     */
    public Client newClient() {
        return newClientBuilder().build();
    }

    /**
     * Returns a jetcd {@link ClientBuilder} for all members, configured like {@link #newClient()}, for callers
     * that need more settings (namespace, timeouts, ...).
     */
    public ClientBuilder newClientBuilder() {
        return newClientBuilder(members);
    }

    /**
     * Kills all members (SIGKILL: their data is thrown away anyway) and deletes the temporary directory.
     * Calling it again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException failure = null;
        for (EtcdMember member : members) {
            try {
                member.kill();
            } catch (RuntimeException e) {
                failure = addSuppressed(failure, e);
            }
        }
        try {
            FileSupport.deleteRecursively(baseDir);
            ChildProcessReaper.unregisterDirectory(baseDir);
        } catch (RuntimeException e) {
            failure = addSuppressed(failure, e);
        }
        logger.info("Closed etcd cluster {}", endpoints());
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "EtcdCluster{mode=" + mode + ", members=" + members + '}';
    }

    ClientBuilder newClientBuilder(List<EtcdMember> targets) {
        return newClientBuilder(targets, true);
    }

    private ClientBuilder newClientBuilder(List<EtcdMember> targets, boolean withCredentials) {
        final ClientBuilder builder = Client.builder()
                .endpoints(targets.stream().map(EtcdMember::clientEndpoint).toArray(String[]::new));
        if (mode == EtcdMode.AUTH && withCredentials) {
            builder.user(bytes(ROOT_USER)).password(bytes(password));
        }
        if (mode == EtcdMode.TLS) {
            builder.sslContext(clientSslContext());
        }
        return builder;
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The etcd cluster has been closed");
        }
    }

    List<String> commandLine(EtcdMember member, String initialClusterState) {
        final List<String> command = new ArrayList<>(List.of(
                etcdBinary.toString(),
                "--name", member.name(),
                "--data-dir", member.dataDir().toString(),
                "--listen-client-urls", member.clientEndpoint(),
                "--advertise-client-urls", member.clientEndpoint(),
                "--listen-peer-urls", member.peerEndpoint(),
                "--initial-advertise-peer-urls", member.peerEndpoint(),
                "--initial-cluster", initialCluster(),
                "--initial-cluster-token", clusterToken,
                "--initial-cluster-state", initialClusterState,
                // etcd 3.4 defaults to the deprecated capnslog logger, which also warns about it on every start.
                "--logger", "zap",
                "--log-outputs", "stderr",
                // Pre-vote keeps a restarted member from deposing a healthy leader, which would make tests flaky.
                "--pre-vote"));
        if (mode == EtcdMode.AUTH) {
            // The lowest bcrypt cost keeps the authentication of every new test client fast.
            command.addAll(List.of("--bcrypt-cost", "4"));
        }
        if (mode == EtcdMode.TLS) {
            command.addAll(List.of(
                    "--cert-file", certificates.serverCert().toString(),
                    "--key-file", certificates.serverKey().toString(),
                    "--trusted-ca-file", certificates.clientFiles().caCert().toString(),
                    "--client-cert-auth"));
        }
        return command;
    }

    /**
     * Waits until every member in {@code starting} answers the Maintenance Status API with a known leader. etcd
     * only accepts client requests after it has published itself through Raft, so an answer means the member
     * is part of a quorum.
     *
     * @throws PortConflictException if a member exited because one of its ports was taken
     * @throws IllegalStateException if a member exited for another reason or did not serve before
     *                               {@code deadline}; members that did not serve are killed
     */
    void awaitServing(Collection<EtcdMember> starting, Instant deadline) {
        final Set<EtcdMember> pending = new LinkedHashSet<>(starting);
        StatusRuntimeException lastProbeFailure = null;
        while (true) {
            for (EtcdMember member : starting) {
                final Integer exitCode = member.exitCodeOrNull();
                if (exitCode != null) {
                    final String logTail = member.logTailOfLaunch();
                    if (logTail.contains("address already in use")) {
                        throw new PortConflictException(member, logTail);
                    }
                    throw new IllegalStateException(
                            "etcd member " + member.name() + " exited with code " + exitCode
                            + " while starting. Last lines of " + member.logFile() + ":\n" + logTail);
                }
            }
            for (Iterator<EtcdMember> it = pending.iterator(); it.hasNext();) {
                try {
                    if (probeStatus(it.next()).getLeader() != 0) {
                        it.remove();
                    }
                } catch (StatusRuntimeException e) {
                    lastProbeFailure = e;
                }
            }
            if (pending.isEmpty()) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                final StringBuilder message = new StringBuilder();
                message.append("etcd member(s) ")
                       .append(pending.stream().map(EtcdMember::name).collect(Collectors.joining(", ")))
                       .append(" did not serve within ").append(startTimeout)
                       .append(" (last status probe error: ").append(lastProbeFailure).append(')');
                for (EtcdMember member : pending) {
                    member.kill();
                    message.append("\nLast lines of ").append(member.logFile()).append(":\n")
                           .append(member.logTailOfLaunch());
                }
                throw new IllegalStateException(message.toString());
            }
            sleep(PROBE_INTERVAL);
        }
    }

    synchronized void wipeAndStart(EtcdMember member) {
        checkOpen();
        if (!members.contains(member)) {
            throw new IllegalArgumentException(member + " is not a member of " + this);
        }
        final Instant deadline = Instant.now().plus(startTimeout);
        if (members.size() == 1) {
            member.kill();
            member.deleteDataDir();
            member.launch("new");
            awaitServing(List.of(member), deadline);
            if (mode == EtcdMode.AUTH) {
                enableAuth(List.of(member));
            }
            logger.info("Wiped etcd member {} and started a fresh single-member cluster", member.name());
            return;
        }

        final List<EtcdMember> others = members.stream()
                                               .filter(other -> other != member && other.isRunning())
                                               .collect(Collectors.toUnmodifiableList());
        if (others.isEmpty()) {
            throw new IllegalStateException("Cannot wipe " + member.name() + ": no other member is running");
        }
        member.kill();
        // If the wiped member was the leader, a membership change sent before the followers notice would be
        // forwarded to the dead leader and hang until etcd's request timeout; waiting for the election avoids that.
        awaitLeader(deadline);
        final URI peerUri = URI.create(member.peerEndpoint());
        try (Client client = newClientBuilder(others).build()) {
            final Cluster clusterApi = client.getClusterClient();
            // Both steps are written to be retried: right after a kill there may be no leader yet, and etcd's
            // strict reconfiguration check may refuse a change until the cluster looks healthy again.
            retryUntil(deadline, "remove " + member.name() + " from the cluster", () -> {
                final Member existing = findByPeerUri(clusterApi, peerUri);
                if (existing == null) {
                    return true;
                }
                await(clusterApi.removeMember(existing.getId()));
                return findByPeerUri(clusterApi, peerUri) == null;
            });
            member.deleteDataDir();
            retryUntil(deadline, "add " + member.name() + " back to the cluster", () -> {
                if (findByPeerUri(clusterApi, peerUri) == null) {
                    await(clusterApi.addMember(List.of(peerUri)));
                }
                return findByPeerUri(clusterApi, peerUri) != null;
            });
        }
        member.launch("existing");
        awaitServing(List.of(member), deadline);
        logger.info("Wiped etcd member {} and re-added it to the cluster", member.name());
    }

    private void startInitialMembers(int memberCount) {
        final String clientScheme = mode == EtcdMode.TLS ? "https" : "http";
        for (int attempt = 1; ; attempt++) {
            final int[] ports = portAllocator.apply(memberCount * 2);
            final List<EtcdMember> candidates = new ArrayList<>(memberCount);
            for (int i = 0; i < memberCount; i++) {
                final String name = "etcd-" + i;
                candidates.add(new EtcdMember(this, name, clientScheme, ports[2 * i], ports[2 * i + 1],
                                              baseDir.resolve(name)));
            }
            // commandLine() reads the members for --initial-cluster, so they must be visible before launching.
            members = List.copyOf(candidates);
            final Instant deadline = Instant.now().plus(startTimeout);
            try {
                for (EtcdMember member : candidates) {
                    member.launch("new");
                }
                awaitServing(candidates, deadline);
                awaitLeader(deadline);
                if (mode == EtcdMode.AUTH) {
                    enableAuth(candidates);
                }
                return;
            } catch (PortConflictException e) {
                // The port was free when probed but something bound it before etcd did. Only the first start
                // may move to other ports: later restarts must keep the endpoints that clients already know.
                for (EtcdMember member : candidates) {
                    member.kill();
                    member.deleteMemberDir();
                }
                if (attempt == MAX_START_ATTEMPTS) {
                    throw new IllegalStateException("etcd could not bind its ports in " + MAX_START_ATTEMPTS
                                                    + " attempts", e);
                }
                logger.warn("etcd member {} lost a port race (attempt {}/{}); retrying with new ports",
                            e.memberName(), attempt, MAX_START_ATTEMPTS);
            }
        }
    }

    private void enableAuth(List<EtcdMember> targets) {
        final ByteSequence root = bytes(ROOT_USER);
        try (Client client = newClientBuilder(targets, false).build()) {
            final Auth auth = client.getAuthClient();
            // etcd treats "root" as a built-in role name for grants, but creating it explicitly works on every
            // 3.x version and makes `etcdctl role list` show it.
            await(auth.roleAdd(root));
            await(auth.userAdd(root, bytes(password)));
            await(auth.userGrantRole(root, root));
            await(auth.authEnable());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot enable etcd authentication", e);
        }
        logger.debug("Enabled etcd authentication for user {}", ROOT_USER);
    }

    private EtcdMember awaitLeader(Instant deadline) {
        while (true) {
            for (EtcdMember member : members) {
                if (!member.isRunning()) {
                    continue;
                }
                try {
                    final StatusResponse status = probeStatus(member);
                    if (status.getLeader() != 0 && status.getLeader() == status.getHeader().getMemberId()) {
                        return member;
                    }
                } catch (StatusRuntimeException ignored) {
                    // Not serving (yet); ask the others.
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("No etcd member reported itself as leader within " + startTimeout
                                                + "; members: " + members);
            }
            sleep(PROBE_INTERVAL);
        }
    }

    /**
     * Asks one member for its status over a fresh channel. A long-lived channel would sit in gRPC's reconnect
     * backoff (up to minutes) after the member was down, delaying the moment we notice it is back.
     */
    private StatusResponse probeStatus(EtcdMember member) {
        final NettyChannelBuilder builder =
                NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", member.clientPort()));
        if (mode == EtcdMode.TLS) {
            builder.sslContext(clientSslContext());
        } else {
            builder.usePlaintext();
        }
        final ManagedChannel channel = builder.build();
        try {
            // Status needs no credentials even when auth is enabled, so the probe works in every mode.
            return MaintenanceGrpc.newBlockingStub(channel)
                                  .withDeadlineAfter(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                                  .status(StatusRequest.getDefaultInstance());
        } finally {
            channel.shutdownNow();
        }
    }

    private SslContext clientSslContext() {
        SslContext sslContext = clientSslContext;
        if (sslContext == null) {
            final TlsFiles files = certificates.clientFiles();
            try {
                sslContext = GrpcSslContexts.forClient()
                                            .trustManager(files.caCert().toFile())
                                            .keyManager(files.clientCert().toFile(), files.clientKey().toFile())
                                            .build();
            } catch (SSLException e) {
                throw new IllegalStateException("Cannot load the generated TLS files " + files, e);
            }
            clientSslContext = sslContext;
        }
        return sslContext;
    }

    private String initialCluster() {
        return members.stream()
                      .map(member -> member.name() + '=' + member.peerEndpoint())
                      .collect(Collectors.joining(","));
    }

    private static Member findByPeerUri(Cluster clusterApi, URI peerUri) throws Exception {
        for (Member member : await(clusterApi.listMember()).getMembers()) {
            if (member.getPeerURIs().contains(peerUri)) {
                return member;
            }
        }
        return null;
    }

    @FunctionalInterface
    private interface Attempt {
        boolean succeeded() throws Exception;
    }

    private static void retryUntil(Instant deadline, String what, Attempt attempt) {
        Exception lastFailure = null;
        while (true) {
            try {
                if (attempt.succeeded()) {
                    return;
                }
            } catch (Exception e) {
                lastFailure = e;
                logger.debug("Could not {} yet: {}", what, e.toString());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("Could not " + what + " before the deadline", lastFailure);
            }
            sleep(Duration.ofMillis(200));
        }
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(API_CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for etcd", e);
        }
    }

    private static ByteSequence bytes(String value) {
        return ByteSequence.from(value, StandardCharsets.UTF_8);
    }

    private static String newPassword() {
        final byte[] bytes = new byte[18];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static RuntimeException addSuppressed(RuntimeException failure, RuntimeException e) {
        if (failure == null) {
            return e;
        }
        failure.addSuppressed(e);
        return failure;
    }

    /**
     * Thrown when an etcd member exits because one of its ports was taken between probing and binding.
     */
    static final class PortConflictException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        private final String memberName;

        PortConflictException(EtcdMember member, String logTail) {
            super("etcd member " + member.name() + " could not bind its ports. Last lines of "
                  + member.logFile() + ":\n" + logTail);
            memberName = member.name();
        }

        String memberName() {
            return memberName;
        }
    }

    /**
     * Builds and starts an {@link EtcdCluster}.
     */
    public static final class Builder {

        private int members = 1;
        private EtcdMode mode = EtcdMode.PLAIN;
        private Path etcdBinary;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private IntFunction<int[]> portAllocator = FreePorts::allocate;

        Builder() {}

        /**
         * Sets the number of members, 1 (the default) to 7. Use an odd number: 3 tolerates one failed member.
         */
        public Builder members(int members) {
            if (members < 1 || members > MAX_MEMBERS) {
                throw new IllegalArgumentException("members: " + members + " (expected: 1.." + MAX_MEMBERS + ')');
            }
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
         * Sets the etcd executable to run. By default it is the {@code ETCD_BIN} environment variable if set,
         * else {@code etcd} on {@code PATH}.
         */
        public Builder etcdBinary(Path etcdBinary) {
            this.etcdBinary = requireNonNull(etcdBinary, "etcdBinary");
            return this;
        }

        /**
         * Sets how long a member may take to serve after it was launched, 30 seconds by default. Also bounds how
         * long {@link EtcdCluster#leader()} waits for an election.
         */
        public Builder startTimeout(Duration startTimeout) {
            requireNonNull(startTimeout, "startTimeout");
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new IllegalArgumentException("startTimeout: " + startTimeout + " (expected: > 0)");
            }
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * Replaces the free-port finder; lets tests provoke a port conflict.
         */
        Builder portAllocator(IntFunction<int[]> portAllocator) {
            this.portAllocator = requireNonNull(portAllocator, "portAllocator");
            return this;
        }

        /**
         * Starts the members and returns once all of them serve and a leader is elected (and, in
         * {@link EtcdMode#AUTH} mode, auth is enabled).
         *
         * @throws IllegalStateException if etcd cannot be found (the message says how to install it), or a
         *                               member exits or does not serve within the start timeout (the message
         *                               quotes the end of its log)
         */
        public EtcdCluster start() {
            final Path binary = EtcdBinary.locate(etcdBinary, System.getenv());
            final Path baseDir;
            try {
                baseDir = Files.createTempDirectory("kitex4j-etcd-");
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create a temporary directory for etcd", e);
            }
            ChildProcessReaper.registerDirectory(baseDir);
            final long startNanos = System.nanoTime();
            EtcdCluster cluster = null;
            try {
                cluster = new EtcdCluster(binary, mode, startTimeout, portAllocator, baseDir);
                cluster.startInitialMembers(members);
            } catch (RuntimeException | Error e) {
                if (cluster != null) {
                    try {
                        cluster.close();
                    } catch (RuntimeException closeFailure) {
                        e.addSuppressed(closeFailure);
                    }
                } else {
                    FileSupport.deleteRecursivelyQuietly(baseDir);
                    ChildProcessReaper.unregisterDirectory(baseDir);
                }
                throw e;
            }
            logger.info("Started etcd cluster of {} member(s) in {} mode at {} in {} ms", members, mode,
                        cluster.endpoints(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
            return cluster;
        }
    }
}
