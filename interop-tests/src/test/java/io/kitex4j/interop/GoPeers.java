package io.kitex4j.interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.testing.containers.GoClientRun;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Builds the Go Kitex peers in {@code interop-tests/go} and runs them as processes.
 *
 * <p>The binaries are built once with {@code go build} into {@code ~/.cache/kitex4j-interop/<hash>/}
 * ({@code KITEX4J_INTEROP_CACHE} overrides the root), where the hash covers every file of the Go module, so a
 * change to the Go sources, go.mod or go.sum builds again and an unchanged tree reuses the binaries. If
 * {@code go} cannot be found the tests fail, with a message; they are never skipped.
 */
final class GoPeers {

    private static final Logger logger = LoggerFactory.getLogger(GoPeers.class);
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<Process> running = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger counter = new AtomicInteger();
    private static volatile Path binDir;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(Process::destroyForcibly),
                "kitex4j-go-peer-reaper"));
    }

    private GoPeers() {}

    static Path goDir() {
        final String p = System.getProperty("kitex4j.interop.goDir");
        return p != null ? Paths.get(p) : Paths.get("go").toAbsolutePath();
    }

    static Path logDir() {
        final String p = System.getProperty("kitex4j.interop.logDir");
        final Path dir = p != null ? Paths.get(p) : Paths.get("target", "go-logs").toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    static String goExecutable() {
        final String env = System.getenv("GO_BIN");
        if (env != null && !env.isBlank()) {
            if (!Files.isExecutable(Paths.get(env))) {
                throw new IllegalStateException("GO_BIN=" + env + " is not an executable: the Java-Go interop "
                        + "tests need the Go toolchain to build the Go Kitex peers.");
            }
            return env;
        }
        final List<Path> candidates = new ArrayList<>();
        final String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                candidates.add(Paths.get(d, "go"));
            }
        }
        candidates.add(Paths.get("/usr/local/go/bin/go"));
        candidates.add(Paths.get("/usr/lib/go/bin/go"));
        for (Path c : candidates) {
            if (Files.isExecutable(c)) {
                return c.toString();
            }
        }
        throw new IllegalStateException("The Go toolchain ('go') was not found on PATH, /usr/local/go/bin or "
                + "/usr/lib/go/bin: the Java-Go interop tests need it to build the Go Kitex peers. Install Go "
                + "(apt-get install -y golang-go, Go >= 1.23) or set GO_BIN to the go executable.");
    }

    /** The directory holding the built {@code server} and {@code client} binaries, building them if needed. */
    static synchronized Path binaries() {
        if (binDir != null) {
            return binDir;
        }
        final Path src = goDir();
        final String hash = sourceHash(src);
        final String root = System.getenv("KITEX4J_INTEROP_CACHE");
        final Path cacheRoot = root != null ? Paths.get(root)
                : Paths.get(System.getProperty("user.home"), ".cache", "kitex4j-interop");
        final Path dir = cacheRoot.resolve(hash);
        if (Files.isExecutable(dir.resolve("server")) && Files.isExecutable(dir.resolve("client"))) {
            logger.info("Go peers: reusing {}", dir);
            return binDir = dir;
        }
        try {
            Files.createDirectories(cacheRoot);
            final Path tmp = Files.createTempDirectory(cacheRoot, hash + ".tmp");
            final long start = System.nanoTime();
            final Path log = logDir().resolve("go-build.log");
            // build-peers.sh is the one recipe (static, as the containers need); GO_BIN's go comes first on PATH.
            final ProcessBuilder pb = new ProcessBuilder("sh", src.resolve("build-peers.sh").toString(),
                    tmp.toString())
                    .directory(src.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            final String go = goExecutable();
            final Path goDir = Paths.get(go).getParent();
            if (goDir != null) {
                pb.environment().merge("PATH", goDir.toString(), (old, first) -> first + java.io.File.pathSeparator + old);
            }
            final Process p = pb.start();
            running.add(p);
            try {
                if (!p.waitFor(15, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("go build timed out; see " + log);
                }
            } finally {
                running.remove(p);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("go build failed (exit " + p.exitValue() + "):\n"
                        + Files.readString(log));
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isExecutable(dir.resolve("server"))) {   // not a concurrent build that won
                    throw e;
                }
            }
            logger.info("Go peers: built {} in {} ms", dir, (System.nanoTime() - start) / 1_000_000);
            pruneCache(cacheRoot, dir);
            return binDir = dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Keeps the three newest builds (other branches may want theirs back), deletes older ones. */
    private static void pruneCache(Path cacheRoot, Path keep) {
        try (Stream<Path> dirs = Files.list(cacheRoot)) {
            final List<Path> builds = dirs.filter(d -> d.getFileName().toString().matches("[0-9a-f]{16}"))
                    .filter(d -> !d.equals(keep))
                    .sorted(java.util.Comparator.comparing(GoPeers::lastModified).reversed())
                    .toList();
            for (Path old : builds.subList(Math.min(2, builds.size()), builds.size())) {
                try (Stream<Path> files = Files.walk(old)) {
                    for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        } catch (IOException e) {
            logger.warn("Go peers: could not prune {}: {}", cacheRoot, e.toString());
        }
    }

    private static java.nio.file.attribute.FileTime lastModified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }


    static String sourceHash(Path src) {
        try (Stream<Path> files = Files.walk(src)) {
            final MessageDigest md = MessageDigest.getInstance("SHA-256");
            final List<Path> list = files.filter(Files::isRegularFile)
                    .filter(f -> {
                        final String n = f.getFileName().toString();
                        // build-peers.sh too: a change of how the peers are built is a new build
                        return n.endsWith(".go") || n.equals("go.mod") || n.equals("go.sum")
                                || n.equals("build-peers.sh");
                    })
                    .sorted().toList();
            for (Path f : list) {
                md.update(src.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(Files.readAllBytes(f));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts a Go server ({@code cmd/server}) and waits for its "serving" line. */
    static GoServer server(String... args) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(binaries().resolve("server").toString());
        cmd.addAll(Arrays.asList(args));
        final Path err = logDir().resolve("server-" + counter.incrementAndGet() + ".log");
        try {
            final Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            running.add(p);
            final GoServer s = new GoServer(p, err, cmd);
            final JsonNode serving = s.awaitEvent("serving", Duration.ofSeconds(30));
            s.address = serving.get("addr").asText();
            if (cmd.contains("--etcd")) {
                // Kitex registers after it serves: wait until registry-etcd has written the key.
                final JsonNode registered = s.awaitEvent("registered", Duration.ofSeconds(30));
                if (registered.has("error")) {
                    s.close();
                    throw new AssertionError("go server could not register: " + registered);
                }
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the Go client ({@code cmd/client}) to completion and returns its JSON lines. */
    static GoClientRun client(String... args) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(binaries().resolve("client").toString());
        cmd.addAll(Arrays.asList(args));
        final Path err = logDir().resolve("client-" + counter.incrementAndGet() + ".log");
        try {
            final Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            running.add(p);
            final String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
            running.remove(p);
            return GoClientRun.of(cmd, p.exitValue(), stdout, Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A running Go server. */
    static final class GoServer implements AutoCloseable {
        private final Process process;
        private final Path stderr;
        private final List<String> command;
        private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
        final List<JsonNode> allEvents = new CopyOnWriteArrayList<>();
        private volatile boolean readerDone;
        volatile String address;

        private GoServer(Process process, Path stderr, List<String> command) {
            this.process = process;
            this.stderr = stderr;
            this.command = command;
            final Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        try {
                            final JsonNode n = JSON.readTree(line);
                            allEvents.add(n);
                            events.add(n);
                        } catch (IOException e) {
                            logger.warn("go server: not JSON: {}", line);
                        }
                    }
                } catch (IOException ignored) {
                    // process ended
                }
                readerDone = true;
            }, "go-server-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        String address() {
            return address;
        }

        int port() {
            return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        }

        /** The first event of that name the server has printed, waiting for it if need be. */
        JsonNode awaitEvent(String event, Duration timeout) {
            final long deadline = System.nanoTime() + timeout.toNanos();
            try {
                while (System.nanoTime() < deadline) {
                    for (JsonNode n : allEvents) {
                        if (event.equals(n.path("event").asText())) {
                            return n;
                        }
                    }
                    if (!process.isAlive() && readerDone) {
                        break;
                    }
                    events.poll(50, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new AssertionError("go server " + command + " did not report '" + event + "' (alive="
                    + process.isAlive() + "); stderr:\n" + readStderr());
        }

        String readStderr() {
            try {
                return Files.readString(stderr);
            } catch (IOException e) {
                return e.toString();
            }
        }

        /** SIGTERM: Kitex's graceful stop (deregister, exit wait, close). */
        void stopGracefully(Duration timeout) throws InterruptedException {
            process.destroy();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
            running.remove(process);
        }

        @Override
        public void close() {
            try {
                stopGracefully(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
