package io.kitex4j.etcdlauncher;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;

/**
 * One etcd process of an {@link EtcdCluster}.
 *
 * <p>A member keeps its name, ports and data directory for the whole life of its cluster, so it can be stopped,
 * killed and started again at will to exercise failover. All methods are thread-safe.
 */
public final class EtcdMember {

    private static final Logger logger = LoggerFactory.getLogger(EtcdMember.class);

    private static final Duration GRACEFUL_STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private final EtcdCluster cluster;
    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final String clientEndpoint;
    private final String peerEndpoint;
    private final Path memberDir;
    private final Path dataDir;
    private final Path logFile;

    // Guarded by this.
    private Process process;
    // Where the current launch's output starts in the log file, so that errors quote only this launch.
    private long logOffsetOfLaunch;
    // etcd ignores --initial-cluster-state once the data dir holds a WAL, but a wiped member that rejoined must
    // keep saying "existing" in case its data dir is wiped again outside wipeAndStart().
    private String initialClusterState = "new";
    private int launches;

    EtcdMember(EtcdCluster cluster, String name, String clientScheme, int clientPort, int peerPort, Path memberDir) {
        this.cluster = requireNonNull(cluster, "cluster");
        this.name = requireNonNull(name, "name");
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        clientEndpoint = requireNonNull(clientScheme, "clientScheme") + "://127.0.0.1:" + clientPort;
        peerEndpoint = "http://127.0.0.1:" + peerPort;
        this.memberDir = requireNonNull(memberDir, "memberDir");
        dataDir = memberDir.resolve("data");
        logFile = memberDir.resolve("etcd.log");
    }

    /**
     * Returns the etcd member name ({@code --name}), e.g. {@code etcd-0}.
     */
    public String name() {
        return name;
    }

    /**
     * Returns the client URL of this member: {@code http://127.0.0.1:PORT}, or {@code https://} in
     * {@link EtcdMode#TLS} mode.
     */
    public String clientEndpoint() {
        return clientEndpoint;
    }

    /**
     * Returns the peer URL of this member, always plain {@code http://127.0.0.1:PORT}.
     */
    public String peerEndpoint() {
        return peerEndpoint;
    }

    /**
     * Returns the client port of this member on {@code 127.0.0.1}.
     */
    public int clientPort() {
        return clientPort;
    }

    /**
     * Returns the peer port of this member on {@code 127.0.0.1}.
     */
    public int peerPort() {
        return peerPort;
    }

    /**
     * Returns the etcd data directory ({@code --data-dir}) of this member.
     */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Returns the file that receives the standard output and error of every run of this member.
     */
    public Path logFile() {
        return logFile;
    }

    /**
     * Returns the operating-system process ID of the current etcd process, e.g. to send it other signals.
     *
     * @throws IllegalStateException if the member has never been started
     */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " has never been started");
        }
        return process.pid();
    }

    /**
     * Returns whether the etcd process of this member is alive. An alive process may still be starting up.
     */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Stops this member gracefully (SIGTERM) and waits for the process to exit; falls back to SIGKILL if it has
     * not exited after 10 seconds. Does nothing if the member is not running.
     */
    public void stop() {
        terminate(false);
    }

    /**
     * Kills this member (SIGKILL, like {@code kill -9}) and waits for the process to exit, simulating a crash.
     * Does nothing if the member is not running.
     */
    public void kill() {
        terminate(true);
    }

    /**
     * Starts this member again with the same data directory and the same ports, and returns once it serves
     * client requests. A member of a multi-member cluster only serves once it has rejoined a quorum, so at least
     * half of the other members must be running.
     *
     * @throws IllegalStateException if the member is already running, if the cluster is closed, or if the member
     *                               exits or does not serve within the cluster's start timeout (the message
     *                               quotes the end of its log)
     */
    public void start() {
        final Instant deadline;
        synchronized (this) {
            if (isRunning()) {
                throw new IllegalStateException(name + " is already running");
            }
            deadline = Instant.now().plus(cluster.startTimeout());
            launch(initialClusterState);
        }
        cluster.awaitServing(List.of(this), deadline);
        logger.info("Restarted etcd member {} at {}", name, clientEndpoint);
    }

    /**
     * Starts this member with an empty data directory, on the same ports.
     *
     * <ul>
     *   <li>In a single-member cluster, this kills the member, deletes its data directory and bootstraps a brand
     *       new cluster: all keys are gone. In {@link EtcdMode#AUTH} mode the {@code root} user is created again
     *       with the same password, so {@link EtcdCluster#newClient()} keeps working.</li>
     *   <li>In a multi-member cluster, this kills the member, removes it from the cluster through a running
     *       member, deletes its data directory, adds it back with the same peer URL and starts it with
     *       {@code --initial-cluster-state existing}; it then receives the data from the leader. It gets a new
     *       etcd member ID. A quorum of the other members must be running. etcd 3.4's strict reconfiguration
     *       check refuses to add a member ({@code etcdserver: unhealthy cluster}) until every other member has
     *       been connected for 5 seconds, so right after another member was (re)started this waits that long.</li>
     * </ul>
     *
     * <p>Returns once the member serves client requests.
     *
     * @throws IllegalStateException if the cluster is closed, if the membership change fails, or if the member
     *                               does not serve within the cluster's start timeout
     */
    public void wipeAndStart() {
        cluster.wipeAndStart(this);
    }

    /**
     * Returns a new jetcd client that talks to this member only, configured for the cluster's
     * {@link EtcdMode} like {@link EtcdCluster#newClient()}. The caller must close it.
     */
    public Client newClient() {
        return newClientBuilder().build();
    }

    /**
     * Returns a jetcd {@link ClientBuilder} for this member only, configured for the cluster's
     * {@link EtcdMode} like {@link EtcdCluster#newClientBuilder()}.
     */
    public ClientBuilder newClientBuilder() {
        return cluster.newClientBuilder(List.of(this));
    }

    @Override
    public String toString() {
        return "EtcdMember{name=" + name + ", clientEndpoint=" + clientEndpoint + ", peerEndpoint=" + peerEndpoint
               + ", running=" + isRunning() + '}';
    }

    /**
     * Launches the etcd process without waiting for it to serve.
     */
    synchronized void launch(String clusterState) {
        cluster.checkOpen();
        if (isRunning()) {
            throw new IllegalStateException(name + " is already running");
        }
        initialClusterState = clusterState;
        final List<String> command = cluster.commandLine(this, clusterState);
        try {
            Files.createDirectories(memberDir);
            launches++;
            // A marker separates the runs in the log, which is appended to across restarts.
            Files.writeString(logFile, "=== kitex4j: launch #" + launches + " of " + name + ": "
                                       + String.join(" ", command) + '\n',
                              StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            logOffsetOfLaunch = FileSupport.sizeOrZero(logFile);

            final ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(memberDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(logFile.toFile()))
                    .redirectInput(Redirect.from(new File("/dev/null")));
            // etcd 3.4 refuses to start when an ETCD_* variable duplicates a command-line flag, so a developer's
            // environment (ETCD_NAME, ETCD_DATA_DIR, ...) must not leak in. ETCD_UNSUPPORTED_ARCH is kept because
            // some architectures cannot run etcd without it.
            builder.environment().keySet().removeIf(
                    key -> key.startsWith("ETCD_") && !"ETCD_UNSUPPORTED_ARCH".equals(key));
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start etcd member " + name + ": " + command, e);
        }
        ChildProcessReaper.register(process);
        logger.debug("Launched etcd member {} (pid {}): {}", name, process.pid(), command);
    }

    /**
     * Returns the exit code if the process of the current launch has exited, or {@code null} if it is alive or
     * was never launched.
     */
    synchronized Integer exitCodeOrNull() {
        if (process == null || process.isAlive()) {
            return null;
        }
        return process.exitValue();
    }

    /**
     * Returns the last lines written to the log by the current launch.
     */
    synchronized String logTailOfLaunch() {
        return FileSupport.tail(logFile, logOffsetOfLaunch, 40);
    }

    synchronized void deleteDataDir() {
        if (isRunning()) {
            throw new IllegalStateException("Cannot wipe the data of running member " + name);
        }
        FileSupport.deleteRecursively(dataDir);
    }

    synchronized void deleteMemberDir() {
        if (isRunning()) {
            throw new IllegalStateException("Cannot delete the directory of running member " + name);
        }
        FileSupport.deleteRecursively(memberDir);
    }

    private synchronized void terminate(boolean forcibly) {
        final Process current = process;
        if (current == null || !current.isAlive()) {
            return;
        }
        if (forcibly) {
            current.destroyForcibly();
        } else {
            current.destroy();
        }
        final Duration timeout = forcibly ? KILL_TIMEOUT : GRACEFUL_STOP_TIMEOUT;
        if (!waitForExit(current, timeout)) {
            if (!forcibly) {
                logger.warn("etcd member {} did not exit within {} after SIGTERM; sending SIGKILL", name, timeout);
                current.destroyForcibly();
            }
            if (!waitForExit(current, KILL_TIMEOUT)) {
                throw new IllegalStateException("etcd member " + name + " (pid " + current.pid()
                                                + ") did not exit after SIGKILL");
            }
        }
        ChildProcessReaper.unregister(current);
        logger.debug("etcd member {} exited with code {} after {}", name, current.exitValue(),
                     forcibly ? "SIGKILL" : "SIGTERM");
    }

    private static boolean waitForExit(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for etcd (pid " + process.pid()
                                            + ") to exit", e);
        }
    }
}
