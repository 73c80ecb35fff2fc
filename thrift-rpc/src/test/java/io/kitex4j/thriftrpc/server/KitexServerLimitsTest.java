package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.LogCapture;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/**
 * Slow, idle and greedy peers (issue 9, defect 4): the read timeout of a started frame, the connection
 * limits in total and per IP, and the in-flight limit per connection, each with its counter and its
 * rate-limited log. Real sockets on loopback; 127.0.0.1 and 127.0.0.2 play two hosts (all of 127/8 is
 * local on Linux).
 */
@ExtendWith(NettyLeakDetection.class)
class KitexServerLimitsTest {

    private static final byte CALL = 1;
    /** Enough to show the effect, few enough for this machine's and CI's {@code ulimit -n} (20,000). */
    private static final int STALLED_CONNECTIONS = 2_000;

    private final BlockingEcho echo = new BlockingEcho();
    private KitexServer server;

    @RegisterExtension
    final LogCapture logs = LogCapture.of(ServerConnectionHandler.class);

    @AfterEach
    void stop() {
        echo.permits.release(1_000);
        if (server != null) {
            server.close();
        }
    }

    private KitexServer start(Consumer<KitexServerBuilder> options) {
        final KitexServerBuilder b = KitexServer.builder().service(EchoService.class, echo).shutdownHook(false);
        options.accept(b);
        server = b.build().startBlocking();
        return server;
    }

    // ---- read timeout ----

    @Test
    void thousandsOfStalledConnectionsAreClosedAtTheReadTimeoutWhileCallsGoOn() throws Exception {
        final Duration readTimeout = Duration.ofSeconds(2);
        start(b -> b.readTimeout(readTimeout));
        final KitexClient client = KitexClient.builder().service("echo").addresses("127.0.0.1:" + server.port())
                                              .rpcTimeout(Duration.ofSeconds(20)).build();
        try (Selector selector = Selector.open()) {
            final EchoService.Iface stub = client.stub(EchoService.Iface.class);
            final long[] baseline = callRepeatedly(stub, 200);

            // Half a Framed echo request each: a length field announcing more than is ever sent.
            final byte[] request = frame(Transport.FRAMED, message("echo", CALL, 1,
                                                                    new EchoService.echo_args().setMsg("stall")));
            final ByteBuffer half = ByteBuffer.wrap(Arrays.copyOf(request, request.length / 2));
            final long[] wroteAt = new long[STALLED_CONNECTIONS];
            final long[] closedAt = new long[STALLED_CONNECTIONS];
            final List<Long> duringStall = new ArrayList<>();
            final long t0 = System.nanoTime();
            for (int i = 0; i < STALLED_CONNECTIONS; i++) {
                final SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()));
                ch.write(half.duplicate());
                wroteAt[i] = System.nanoTime();
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, i);
                if (i % 100 == 0) {
                    duringStall.add(timedCall(stub));
                }
            }
            final long opened = System.nanoTime();
            final AtomicInteger closedCount = new AtomicInteger();
            final ByteBuffer sink = ByteBuffer.allocate(64);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(1)).until(() -> {
                // A call on a healthy connection between looks at the stalled ones.
                duringStall.add(timedCall(stub));
                selector.select(50);
                for (SelectionKey k : selector.selectedKeys()) {
                    sink.clear();
                    int n;
                    try {
                        n = ((SocketChannel) k.channel()).read(sink);
                    } catch (IOException reset) {
                        n = -1;
                    }
                    assertThat(n).as("the server sends nothing to a stalled connection").isLessThanOrEqualTo(0);
                    if (n < 0) {
                        closedAt[(Integer) k.attachment()] = System.nanoTime();
                        k.channel().close();
                        closedCount.incrementAndGet();
                    }
                }
                selector.selectedKeys().clear();
                return closedCount.get() == STALLED_CONNECTIONS;
            });
            final long allClosed = System.nanoTime();
            long earliest = Long.MAX_VALUE;
            for (int i = 0; i < STALLED_CONNECTIONS; i++) {
                earliest = Math.min(earliest, closedAt[i] - wroteAt[i]);
            }
            // Not before the timeout. The server's clock starts when it reads the bytes, which can be
            // a little before this thread took the time after its write: hence the margin.
            assertThat(Duration.ofNanos(earliest)).isGreaterThanOrEqualTo(readTimeout.minusMillis(250));
            assertThat(server.rejections()).containsEntry(RejectionKind.READ_TIMEOUT,
                                                                  (long) STALLED_CONNECTIONS);
            await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() <= 1);

            final long[] during = duringStall.stream().mapToLong(Long::longValue).toArray();
            final long[] after = callRepeatedly(stub, 200);
            // Generous bound only: the figures are printed, not asserted.
            assertThat(Duration.ofNanos(max(during))).isLessThan(Duration.ofSeconds(5));
            System.out.printf("[limits] %d stalled connections opened in %d ms, all closed %d ms after the last "
                              + "was opened (readTimeout %d ms; earliest close %d ms after its write)%n",
                              STALLED_CONNECTIONS, ms(opened - t0), ms(allClosed - opened),
                              readTimeout.toMillis(), ms(earliest));
            System.out.printf("[limits] echo latency, us: before p50 %d p99 %d max %d | with %d stalled (%d calls) "
                              + "p50 %d p99 %d max %d | after p50 %d p99 %d max %d%n",
                              pct(baseline, 50), pct(baseline, 99), max(baseline) / 1000, STALLED_CONNECTIONS,
                              during.length, pct(during, 50), pct(during, 99), max(during) / 1000,
                              pct(after, 50), pct(after, 99), max(after) / 1000);

            final long lines = linesContaining("is still incomplete");
            assertThat(lines).isGreaterThanOrEqualTo(1).isLessThanOrEqualTo(maxLines(allClosed - t0));
        } finally {
            client.close();
        }
    }

    @Test
    void aConnectionSendingNothingIsLeftToTheIdleTimeout() throws Exception {
        start(b -> b.readTimeout(Duration.ofMillis(200)));
        try (Wire.Client quiet = new Wire.Client(server.localAddress());
             Wire.Client stalled = new Wire.Client(server.localAddress())) {
            final byte[] request = echoRequest(1, "x");
            stalled.write(Arrays.copyOf(request, 10));
            stalled.assertClosedByPeer(Duration.ofSeconds(5));
            // No frame started: the read timeout does not apply; the idle timeout (10 min) does.
            quiet.assertNothingFor(Duration.ofMillis(600));
            quiet.write(request);
            assertThat(quiet.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(1);
        }
    }

    @Test
    void aFrameArrivingInPiecesWithinTheTimeoutIsServedAndTheRequestsReadBeforeAreAnswered() throws Exception {
        start(b -> b.readTimeout(Duration.ofMillis(1500)));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            final byte[] second = echoRequest(2, "two");
            // A whole request, then the first bytes of the next, then the rest: one frame within the timeout.
            c.write(concat(echoRequest(1, "one"), Arrays.copyOf(second, 7)));
            assertThat(c.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(1);
            c.write(Arrays.copyOfRange(second, 7, second.length));
            assertThat(c.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(2);
            // Now a frame that never completes: closed after the timeout.
            c.write(Arrays.copyOf(echoRequest(3, "three"), 9));
            final long t0 = System.nanoTime();
            c.assertClosedByPeer(Duration.ofSeconds(10));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(1400));
        }
        assertThat(server.rejections()).containsEntry(RejectionKind.READ_TIMEOUT, 1L);
        assertThat(logs.events()).filteredOn(e -> e.getFormattedMessage().contains("is still incomplete")).singleElement()
                             .satisfies(e -> assertThat(e.getFormattedMessage()).contains("127.0.0.1")
                                                                                .contains("9 bytes received"));
    }

    @Test
    void theTimeDuringWhichTheServerPausedReadingDoesNotCount() throws Exception {
        start(b -> b.readTimeout(Duration.ofMillis(500)).maxInFlightRequestsPerConnection(1));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            final byte[] second = echoRequest(2, "two");
            // The first call blocks: the limit of one is reached and reading pauses with the second
            // request half read. The pause lasts three read timeouts.
            c.write(concat(echoRequest(1, "block"), Arrays.copyOf(second, 10)));
            assertThat(echo.blocked.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
            c.assertNothingFor(Duration.ofMillis(1500));
            echo.permits.release();
            c.write(Arrays.copyOfRange(second, 10, second.length));
            assertThat(c.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(1);
            assertThat(c.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(2);
        }
        assertThat(server.rejections()).containsEntry(RejectionKind.READ_TIMEOUT, 0L);
    }

    // ---- connection limits ----

    @Test
    void connectionsOverTheTotalLimitAreClosedAtAcceptAndTheOthersServe() throws Exception {
        start(b -> b.maxConnections(3));
        final List<Wire.Client> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(new Wire.Client(server.localAddress()));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 3);
            try (Wire.Client refused = new Wire.Client(server.localAddress())) {
                refused.assertClosedByPeer(Duration.ofSeconds(5));
            }
            for (int i = 0; i < open.size(); i++) {
                open.get(i).write(echoRequest(i + 1, "ok"));
                assertThat(open.get(i).read(Transport.FRAMED).messageBegin().seqid).isEqualTo(i + 1);
            }
            // A closed connection frees its place, and a refused one holds none.
            open.remove(0).close();
            await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 2);
            open.add(new Wire.Client(server.localAddress()));
            open.get(2).write(echoRequest(9, "again"));
            assertThat(open.get(2).read(Transport.FRAMED).messageBegin().seqid).isEqualTo(9);
        } finally {
            for (Wire.Client c : open) {
                c.close();
            }
        }
        assertThat(server.rejections()).containsEntry(RejectionKind.TOO_MANY_CONNECTIONS, 1L)
                                                .containsEntry(RejectionKind.TOO_MANY_CONNECTIONS_PER_IP, 0L);
        assertThat(logs.events()).filteredOn(e -> e.getFormattedMessage().startsWith("Refusing connection"))
                             .singleElement()
                             .satisfies(e -> assertThat(e.getFormattedMessage()).isEqualTo(
                                     "Refusing connection from 127.0.0.1: 3 connections open (maxConnections 3)"));
    }

    @Test
    void connectionsOverThePerIpLimitAreClosedAndOtherHostsStillConnect() throws Exception {
        start(b -> b.maxConnectionsPerIp(2));
        final InetAddress host1 = InetAddress.getByName("127.0.0.1");
        final InetAddress host2 = InetAddress.getByName("127.0.0.2");
        final List<Socket> open = new ArrayList<>();
        try {
            open.add(connectFrom(host1));
            open.add(connectFrom(host1));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections(host1) == 2);
            try (Socket refused = connectFrom(host1)) {
                assertClosedByPeer(refused);
            }
            open.add(connectFrom(host2));
            open.add(connectFrom(host2));
            await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections(host2) == 2);
            int seqId = 1;
            for (Socket s : open) {
                assertThat(call(s, seqId)).isEqualTo(seqId);
                seqId++;
            }
            try (Socket refused = connectFrom(host2)) {
                assertClosedByPeer(refused);
            }
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
        assertThat(server.openConnections(host1)).isZero();
        assertThat(server.rejections()).containsEntry(RejectionKind.TOO_MANY_CONNECTIONS_PER_IP, 2L)
                                                .containsEntry(RejectionKind.TOO_MANY_CONNECTIONS, 0L);
        assertThat(logs.events()).filteredOn(e -> e.getFormattedMessage().startsWith("Refusing connection"))
                             .extracting(ILoggingEvent::getFormattedMessage)
                             .containsExactly(
                                     "Refusing connection from 127.0.0.1: 2 connections open from it "
                                     + "(maxConnectionsPerIp 2)",
                                     "Refusing connection from 127.0.0.2: 2 connections open from it "
                                     + "(maxConnectionsPerIp 2)");
    }

    @Test
    void aFloodOfRefusedConnectionsIsCountedButLogsOnlyTheRateLimitedLines() throws Exception {
        start(b -> b.maxConnections(1));
        final int refused = 200;
        final long t0 = System.nanoTime();
        try (Wire.Client kept = new Wire.Client(server.localAddress())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 1);
            for (int i = 0; i < refused; i++) {
                try (Wire.Client c = new Wire.Client(server.localAddress())) {
                    c.assertClosedByPeer(Duration.ofSeconds(5));
                }
            }
            kept.write(echoRequest(1, "still here"));
            assertThat(kept.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(1);
        }
        assertThat(server.rejections()).containsEntry(RejectionKind.TOO_MANY_CONNECTIONS, (long) refused);
        assertThat(linesContaining("Refusing connection")).isBetween(1L, maxLines(System.nanoTime() - t0));
    }

    // ---- in-flight requests per connection ----

    @Test
    void aConnectionHoldsAtMostTheInFlightLimitAndAllPipelinedRequestsAreAnswered() throws Exception {
        final int limit = 3;
        final int requests = 12;
        start(b -> b.maxInFlightRequestsPerConnection(limit));
        byte[] all = new byte[0];
        for (int i = 1; i <= requests; i++) {
            all = concat(all, echoRequest(i, "block" + i));
        }
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(all);   // one write: the server reads them all at once
            assertThat(echo.blocked.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
            // One running, two waiting: the third decoded request reached the limit and reading paused.
            // Each answer makes room for exactly one more request, which is decoded and reaches the
            // limit again, until none is left: so before the i-th call is let go, reading has paused i
            // times. Had all twelve been decoded at once (a pause of socket reads only), it would have
            // paused once.
            for (int i = 1; i <= requests; i++) {
                final long pauses = Math.min(i, requests - limit + 1);
                await().atMost(Duration.ofSeconds(5))
                       .until(() -> server.rejections().get(RejectionKind.IN_FLIGHT_LIMIT) == pauses);
                echo.permits.release();
                assertThat(c.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(i);
            }
            c.assertNothingFor(Duration.ofMillis(100));
        }
        assertThat(server.rejections()).containsEntry(RejectionKind.IN_FLIGHT_LIMIT,
                                                              (long) (requests - limit + 1));
        assertThat(echo.started.get()).isEqualTo(requests);
        assertThat(linesContaining("Pausing reads from")).isBetween(1L, (long) RateLimitedLog.DEFAULT_BURST);
    }

    // ---- builder ----

    @Test
    void defaultsAndInvalidArguments() {
        assertThat(KitexServerBuilder.DEFAULT_READ_TIMEOUT).isEqualTo(Duration.ofSeconds(5));
        assertThat(KitexServerBuilder.DEFAULT_IDLE_TIMEOUT).isEqualTo(Duration.ofMinutes(10));
        assertThat(KitexServerBuilder.DEFAULT_MAX_CONNECTIONS).isEqualTo(10_000);
        assertThat(KitexServerBuilder.DEFAULT_MAX_CONNECTIONS_PER_IP).isEqualTo(5_000);
        assertThat(KitexServerBuilder.DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION).isEqualTo(32);
        final KitexServerBuilder b = KitexServer.builder();
        assertThatThrownBy(() -> b.readTimeout(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readTimeout: PT-0.001S (expected: >= 0)");
        assertThatThrownBy(() -> b.maxConnections(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConnections: 0 (expected: >= 1)");
        assertThatThrownBy(() -> b.maxConnectionsPerIp(-5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConnectionsPerIp: -5 (expected: >= 1)");
        assertThatThrownBy(() -> b.maxInFlightRequestsPerConnection(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxInFlightRequestsPerConnection: 0 (expected: >= 1)");
        assertThatThrownBy(() -> b.readTimeout(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("readTimeout");
    }

    // ---- helpers ----

    /** Echo; a message starting with "block" waits for a permit. */
    static final class BlockingEcho implements EchoService.Iface {
        final Semaphore permits = new Semaphore(0);
        final Semaphore blocked = new Semaphore(0);
        final AtomicInteger started = new AtomicInteger();

        @Override
        public String echo(String msg) {
            started.incrementAndGet();
            if (msg.startsWith("block")) {
                blocked.release();
                permits.acquireUninterruptibly();
            }
            return msg;
        }
    }

    private static byte[] echoRequest(int seqId, String msg) {
        return frame(Transport.FRAMED, message("echo", CALL, seqId, new EchoService.echo_args().setMsg(msg)));
    }

    private Socket connectFrom(InetAddress local) throws IOException {
        final Socket s = new Socket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    private static void assertClosedByPeer(Socket s) throws IOException {
        try {
            assertThat(s.getInputStream().read()).as("expected EOF").isEqualTo(-1);
        } catch (SocketException reset) {
            // closed as well
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection from " + s.getLocalAddress());
        }
    }

    /** An echo call over a raw socket; returns the reply's seqId. */
    private static int call(Socket s, int seqId) throws IOException {
        s.getOutputStream().write(echoRequest(seqId, "hi"));
        final byte[] len = s.getInputStream().readNBytes(4);
        final byte[] body = s.getInputStream().readNBytes(ByteBuffer.wrap(len).getInt());
        final ByteBuffer b = ByteBuffer.wrap(body);
        b.getInt();                           // version and type
        final int nameLength = b.getInt();
        b.position(b.position() + nameLength);
        return b.getInt();
    }

    private long linesContaining(String text) {
        return logs.events().stream().filter(e -> e.getFormattedMessage().contains(text)).count();
    }

    /** The most lines one rate-limited kind may log in this much time: a burst per period begun. */
    private static long maxLines(long elapsedNanos) {
        return (long) RateLimitedLog.DEFAULT_BURST * (1 + elapsedNanos / RateLimitedLog.DEFAULT_PERIOD_NANOS + 1);
    }

    private static long timedCall(EchoService.Iface stub) throws Exception {
        final long t = System.nanoTime();
        assertThat(stub.echo("live")).isEqualTo("live");
        return System.nanoTime() - t;
    }

    private static long[] callRepeatedly(EchoService.Iface stub, int n) throws Exception {
        final long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = timedCall(stub);
        }
        return l;
    }

    private static long pct(long[] nanos, int p) {
        final long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)] / 1000;
    }

    private static long max(long[] nanos) {
        return Arrays.stream(nanos).max().orElse(0);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        final byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
