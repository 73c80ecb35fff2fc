package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/**
 * Mutated frames against a real server over real sockets (issue 9, "a fuzz test in the suite"): valid
 * Buffered, Framed, TTHeader and TTHeaderFramed requests, mutated by a generator with a fixed seed, sent
 * a few per connection. Afterwards the server still answers, its file descriptors and threads are back
 * to where they were, nothing hit {@link RejectionKind#INTERNAL_ERROR}, and the log stayed within the
 * rate limits.
 *
 * <p>{@code -Dkitex4j.fuzz.frames=N} (default 20,000) and {@code -Dkitex4j.fuzz.seed=S} make a longer or
 * different run; the figures are printed (see benchmarks/README.md, "Fuzzing the server").
 */
@ExtendWith(NettyLeakDetection.class)
class KitexServerFuzzTest {

    private static final int FRAMES = Integer.getInteger("kitex4j.fuzz.frames", 20_000);
    private static final long SEED = Long.getLong("kitex4j.fuzz.seed", 9L);
    private static final int FRAMES_PER_CONNECTION = 8;
    private static final int CLIENT_THREADS = 2;
    private static final byte CALL = 1;
    private static final byte ONEWAY = 4;
    private static final int[] INTERESTING_INTS = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, Integer.MAX_VALUE,
                                                   Integer.MIN_VALUE, 0x10000000, 0x80010001, 0x0fff0000, 64, 65};

    @Test
    void mutatedFramesCrashNothingLeakNothingAndLogLittle() throws Exception {
        final CountingAppender log = new CountingAppender();
        log.start();
        final Logger kitexLogger = (Logger) LoggerFactory.getLogger("io.kitex4j");
        kitexLogger.addAppender(log);
        // The default handler pool grows to 200 threads and lets them go after 60 s idle, which would make
        // the thread count meaningless; a fixed pool, started up front, keeps it comparable.
        final ThreadPoolExecutor handlers = (ThreadPoolExecutor) Executors.newFixedThreadPool(
                4, r -> new Thread(r, "fuzz-handler"));
        handlers.prestartAllCoreThreads();
        final KitexServer server = KitexServer.builder()
                                              .service(EchoService.class, new EchoHandler())
                                              .executor(handlers, true)
                                              .ioThreads(2)
                                              .shutdownHook(false)
                                              .build();
        server.start().join();
        try {
            final List<byte[]> seeds = seeds();
            // Warm up: every I/O thread gets a connection, and the classes of the error paths are loaded
            // (a class loaded later may open a jar file, which would count as a leaked descriptor).
            run(server.localAddress(), seeds, 400, SEED + 1);
            assertAnswers(server);
            final int fdsBefore = openFds();
            final int threadsBefore = liveThreads();
            final int linesBefore = log.lines.get();

            final long start = System.nanoTime();
            final Stats stats = run(server.localAddress(), seeds, FRAMES, SEED);
            final long elapsedNanos = System.nanoTime() - start;

            assertAnswers(server);
            // The client closed its sockets and the server closes its side when it sees that: await both.
            // Tolerance 2: the JVM may open a descriptor of its own meanwhile (a jar, /proc), not a socket.
            await().pollInSameThread().atMost(Duration.ofSeconds(30))
                   .until(() -> openFds() <= fdsBefore + 2);
            // Tolerance 2: JVM service threads (e.g. a JIT compiler thread) come and go on their own.
            await().pollInSameThread().atMost(Duration.ofSeconds(30))
                   .until(() -> liveThreads() <= threadsBefore + 2);
            final int fdsAfter = openFds();
            final int lines = log.lines.get() - linesBefore;
            final Map<RejectionKind, Long> rejections = server.rejections();
            System.out.printf("fuzz: seed %d, %d frames on %d connections in %.1f s (%d answered, %d reset), "
                              + "peak RSS %d MB, fds %d before %d after, threads %d before %d after, %d log "
                              + "lines (%d stack traces, longest %d chars), rejections %s%n",
                              SEED, stats.frames.get(), stats.connections.get(), elapsedNanos / 1e9,
                              stats.answered.get(), stats.resets.get(), peakRssMb(), fdsBefore, fdsAfter,
                              threadsBefore, liveThreads(), lines, log.stackTraces.get(), log.longest.get(),
                              rejections);

            assertThat(rejections.get(RejectionKind.INTERNAL_ERROR)).as("internal errors").isZero();
            assertThat(log.errors.get()).as("ERROR lines").isZero();
            // Each kind logs at most 5 lines per 10 s period, and the first of a period may carry a stack
            // trace; +1 period for the partial ones at both ends.
            final long periods = elapsedNanos / TimeUnit.SECONDS.toNanos(10) + 2;
            final int kinds = RejectionKind.values().length;
            assertThat(lines).as("log lines").isLessThanOrEqualTo((int) (kinds * 5 * periods));
            assertThat(log.stackTraces.get()).as("stack traces").isLessThanOrEqualTo((int) (kinds * periods));
            assertThat(log.longest.get()).as("longest line").isLessThan(2_000);
        } finally {
            server.close();
            kitexLogger.detachAppender(log);
        }
    }

    /** The requests that are mutated: each transport, a call, a oneway message type, with header KVs. */
    private static List<byte[]> seeds() {
        final List<byte[]> seeds = new ArrayList<>();
        for (Transport t : Transport.values()) {
            seeds.add(frame(t, 1, Map.of("isn", "EchoService"), Map.of(12, "1000", 20, "echo"),
                            Wire.message("echo", CALL, 1, new EchoService.echo_args().setMsg("hello fuzz"))));
            seeds.add(frame(t, 2, Map.of(), Map.of(),
                            Wire.message("echo", ONEWAY, 2, new EchoService.echo_args().setMsg(""))));
            seeds.add(frame(t, 3, Map.of("RPC_TRANSIT_k", "v", "RPC_PERSIST_p", "q"), Map.of(),
                            KitexServerNestingDepthTest.nestedEcho(3, 60, false)));
        }
        return seeds;
    }

    private static Stats run(InetSocketAddress address, List<byte[]> seeds, int frames, long seed) throws Exception {
        final Stats stats = new Stats();
        final ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
        try {
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < CLIENT_THREADS; t++) {
                final Random random = new Random(seed * 31 + t);
                final int share = frames / CLIENT_THREADS + (t < frames % CLIENT_THREADS ? 1 : 0);
                done.add(clients.submit(() -> {
                    int left = share;
                    while (left > 0) {
                        final int n = Math.min(left, 1 + random.nextInt(FRAMES_PER_CONNECTION));
                        final byte[][] batch = new byte[n][];
                        for (int i = 0; i < n; i++) {
                            batch[i] = mutate(seeds.get(random.nextInt(seeds.size())), seeds, random);
                        }
                        sendOnOneConnection(address, batch, stats);
                        left -= n;
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
        }
        return stats;
    }

    /** Writes the frames, half-closes, and reads until the server closes; a reset is fine. */
    private static void sendOnOneConnection(InetSocketAddress address, byte[][] batch, Stats stats)
            throws IOException {
        stats.connections.incrementAndGet();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", address.getPort()), 5_000);
            s.setSoTimeout(20_000);
            s.setTcpNoDelay(true);
            final OutputStream out = s.getOutputStream();
            stats.frames.addAndGet(batch.length);
            try {
                for (byte[] f : batch) {
                    out.write(f);
                }
                out.flush();
                s.shutdownOutput();
            } catch (IOException reset) {
                // The server closed after a bad frame, before the rest was written.
            }
            final InputStream in = s.getInputStream();
            final byte[] buf = new byte[4096];
            try {
                boolean answered = false;
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n > 0 && !answered) {
                        answered = true;
                        stats.answered.incrementAndGet();
                    }
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server kept a half-closed connection open for 20 s", e);
            } catch (IOException reset) {
                stats.resets.incrementAndGet();
            }
        }
    }

    private static byte[] mutate(byte[] seed, List<byte[]> seeds, Random r) {
        byte[] b = seed.clone();
        final int mutations = 1 + r.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            switch (r.nextInt(8)) {
                case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 2 -> {
                    // An interesting int over a length, count or magic.
                    if (b.length >= 4) {
                        final int at = r.nextInt(b.length - 3);
                        final int v = INTERESTING_INTS[r.nextInt(INTERESTING_INTS.length)];
                        b[at] = (byte) (v >>> 24);
                        b[at + 1] = (byte) (v >>> 16);
                        b[at + 2] = (byte) (v >>> 8);
                        b[at + 3] = (byte) v;
                    }
                }
                case 3 -> b = Arrays.copyOf(b, Math.max(1, r.nextInt(b.length)));
                case 4 -> {
                    final int at = r.nextInt(b.length + 1);
                    final byte[] junk = new byte[1 + r.nextInt(16)];
                    r.nextBytes(junk);
                    b = splice(b, at, junk);
                }
                case 5 -> {
                    // Duplicate a chunk (repeated fields, doubled headers).
                    final int from = r.nextInt(b.length);
                    final int len = 1 + r.nextInt(Math.min(32, b.length - from));
                    b = splice(b, from, Arrays.copyOfRange(b, from, from + len));
                }
                case 6 -> {
                    // Another seed's tail after this one's head: transports and messages crossed.
                    final byte[] other = seeds.get(r.nextInt(seeds.size()));
                    final int cut = r.nextInt(b.length);
                    final int otherCut = r.nextInt(other.length);
                    b = splice(Arrays.copyOf(b, cut), cut, Arrays.copyOfRange(other, otherCut, other.length));
                }
                default -> {
                    // Leave it valid now and then, so that valid calls are mixed with the rest.
                }
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int at, byte[] insert) {
        final byte[] r = new byte[b.length + insert.length];
        System.arraycopy(b, 0, r, 0, at);
        System.arraycopy(insert, 0, r, at, insert.length);
        System.arraycopy(b, at, r, at + insert.length, b.length - at);
        return r;
    }

    private static void assertAnswers(KitexServer server) throws Exception {
        for (Transport t : Transport.values()) {
            try (Wire.Client c = new Wire.Client(server.localAddress())) {
                c.write(frame(t, Wire.message("echo", CALL, 77, new EchoService.echo_args().setMsg("still here"))));
                assertThat(c.read(t).result(new EchoService.echo_result()).getSuccess()).isEqualTo("still here");
            }
        }
    }

    private static int openFds() {
        final String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private static int liveThreads() {
        return Thread.getAllStackTraces().size();
    }

    private static long peakRssMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    private static final class Stats {
        final AtomicLong frames = new AtomicLong();
        final AtomicLong connections = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong resets = new AtomicLong();
    }

    /** Counts kitex4j's WARN and ERROR lines and the stack traces in them, without keeping them. */
    private static final class CountingAppender extends AppenderBase<ILoggingEvent> {
        final AtomicInteger lines = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final AtomicInteger stackTraces = new AtomicInteger();
        final AtomicInteger longest = new AtomicInteger();

        @Override
        protected void append(ILoggingEvent e) {
            if (!e.getLevel().isGreaterOrEqual(Level.WARN)) {
                return;
            }
            lines.incrementAndGet();
            if (e.getLevel().isGreaterOrEqual(Level.ERROR)) {
                errors.incrementAndGet();
            }
            final IThrowableProxy t = e.getThrowableProxy();
            if (t != null) {
                stackTraces.incrementAndGet();
            }
            longest.accumulateAndGet(e.getFormattedMessage().length(), Math::max);
        }
    }
}
