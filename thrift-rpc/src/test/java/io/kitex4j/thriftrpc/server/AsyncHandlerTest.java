package io.kitex4j.thriftrpc.server;

import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.async.AsyncMethodCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;

/**
 * Asynchronous handlers ({@code AsyncIface} and {@code CompletionStage} methods) against a raw socket: no
 * thread held, out-of-order replies for mux peers, in-order for the others, limits, shutdown, deadlines.
 */
@ExtendWith(NettyLeakDetection.class)
class AsyncHandlerTest {

    private static final byte CALL = 1;

    private KitexServer server;
    private ExecutorService executor;

    /** echo: "hold-*" waits until released, "biz" fails with a business status, others answer at once. */
    static final class AsyncEcho implements EchoService.AsyncIface {
        final Map<String, AsyncMethodCallback<String>> held = new ConcurrentHashMap<>();
        final List<String> started = new CopyOnWriteArrayList<>();
        final List<String> startedOn = new CopyOnWriteArrayList<>();
        final List<Metainfo> metainfos = new CopyOnWriteArrayList<>();
        final List<ServerCallContext> contexts = new CopyOnWriteArrayList<>();

        @Override
        public void echo(String msg, AsyncMethodCallback<String> cb) {
            started.add(msg);
            startedOn.add(Thread.currentThread().getName());
            metainfos.add(Metainfo.current());
            contexts.add(ServerCallContext.current());
            if (msg.startsWith("hold")) {
                held.put(msg, cb);
            } else if (msg.equals("biz")) {
                cb.onError(new BizStatusException(1234, "async biz"));
            } else if (msg.equals("throw")) {
                throw new IllegalStateException("thrown at start");
            } else {
                cb.onComplete(msg);
            }
        }

        void release(String msg) {
            await().atMost(Duration.ofSeconds(5)).until(() -> held.containsKey(msg));
            final AsyncMethodCallback<String> cb = held.remove(msg);
            // From another thread, as a real asynchronous handler would.
            new Thread(() -> cb.onComplete(msg + " done"), "releaser").start();
        }
    }

    /** The CompletionStage style: the same names and parameters as the Iface. */
    public static final class StageEcho {
        final Map<String, CompletableFuture<String>> held = new ConcurrentHashMap<>();

        public CompletableFuture<String> echo(String msg) {
            if (msg.startsWith("hold")) {
                final CompletableFuture<String> f = new CompletableFuture<>();
                held.put(msg, f);
                return f;
            }
            if (msg.equals("fail")) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("stage failed"));
            }
            return CompletableFuture.completedFuture("stage " + msg);
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private void start(Object impl, java.util.function.Consumer<KitexServerBuilder> more) {
        final KitexServerBuilder b = KitexServer.builder().address("127.0.0.1", 0).service(EchoService.class, impl)
                                                .shutdownHook(false).drainTimeout(Duration.ofSeconds(10));
        more.accept(b);
        server = b.build();
        server.start().join();
    }

    private static byte[] echo(Transport t, int seqId, String msg, boolean outOfOrder, Map<Integer, String> ints) {
        final byte[] f = frame(t, seqId, Map.of("RPC_TRANSIT_k", "v"), ints,
                               message("echo", CALL, seqId, new EchoService.echo_args(msg)));
        if (outOfOrder) {
            f[7] = 0x01;   // TTHeader flags (bytes 6..7): 0x0001, as Kitex's mux client sends
        }
        return f;
    }

    private static String success(Wire.Response r) {
        return r.result(new EchoService.echo_result()).getSuccess();
    }

    @Test
    void aPendingAsyncCallHoldsNoThread() throws Exception {
        final AsyncEcho impl = new AsyncEcho();
        executor = Executors.newSingleThreadExecutor();
        start(impl, b -> b.executor(executor));
        try (Wire.Client slow = new Wire.Client(server.localAddress());
             Wire.Client fast = new Wire.Client(server.localAddress())) {
            slow.write(echo(Transport.TTHEADER, 1, "hold-1", false, Map.of()));
            await().atMost(Duration.ofSeconds(5)).until(() -> impl.held.containsKey("hold-1"));
            // The only handler thread is free: another connection is served meanwhile.
            for (int i = 0; i < 3; i++) {
                fast.write(echo(Transport.FRAMED, 10 + i, "fast-" + i, false, Map.of()));
                assertThat(success(fast.read(Transport.FRAMED))).isEqualTo("fast-" + i);
            }
            impl.release("hold-1");
            final Wire.Response r = slow.read(Transport.TTHEADER);
            assertThat(r.messageBegin().seqid).isEqualTo(1);
            assertThat(success(r)).isEqualTo("hold-1 done");
        }
        // Metainfo.current() and ServerCallContext.current() work while the method runs.
        assertThat(impl.metainfos.get(0).transientValue("k")).isEqualTo("v");
        assertThat(impl.contexts.get(0).method()).isEqualTo("echo");
    }

    @Test
    void aMuxPeerGetsLaterRepliesWhileAnAsyncCallIsPending() throws Exception {
        final AsyncEcho impl = new AsyncEcho();
        start(impl, b -> { });
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(echo(Transport.TTHEADER_FRAMED, 1, "hold-1", true, Map.of()));
            c.write(echo(Transport.TTHEADER_FRAMED, 2, "fast", true, Map.of()));
            final Wire.Response first = c.read(Transport.TTHEADER_FRAMED);
            assertThat(first.messageBegin().seqid).isEqualTo(2);
            assertThat(success(first)).isEqualTo("fast");
            impl.release("hold-1");
            final Wire.Response second = c.read(Transport.TTHEADER_FRAMED);
            assertThat(second.messageBegin().seqid).isEqualTo(1);
            assertThat(success(second)).isEqualTo("hold-1 done");
        }
    }

    @Test
    void otherPeersGetRepliesInRequestOrder() throws Exception {
        final AsyncEcho impl = new AsyncEcho();
        start(impl, b -> { });
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(echo(Transport.FRAMED, 1, "hold-1", false, Map.of()));
            c.write(echo(Transport.FRAMED, 2, "fast", false, Map.of()));
            await().atMost(Duration.ofSeconds(5)).until(() -> impl.held.containsKey("hold-1"));
            // One call at a time per connection, as Kitex: the second has not started.
            assertThat(impl.started).containsExactly("hold-1");
            impl.release("hold-1");
            assertThat(success(c.read(Transport.FRAMED))).isEqualTo("hold-1 done");
            assertThat(success(c.read(Transport.FRAMED))).isEqualTo("fast");
        }
    }

    @Test
    void pendingAsyncCallsCountTowardTheInFlightLimit() throws Exception {
        final AsyncEcho impl = new AsyncEcho();
        start(impl, b -> b.maxInFlightRequestsPerConnection(2));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(echo(Transport.TTHEADER, 1, "hold-1", true, Map.of()));
            c.write(echo(Transport.TTHEADER, 2, "hold-2", true, Map.of()));
            c.write(echo(Transport.TTHEADER, 3, "fast", true, Map.of()));
            await().atMost(Duration.ofSeconds(5)).until(() -> impl.held.size() == 2);
            assertThat(impl.started).containsExactly("hold-1", "hold-2");
            impl.release("hold-2");
            assertThat(success(c.read(Transport.TTHEADER))).isEqualTo("hold-2 done");
            assertThat(success(c.read(Transport.TTHEADER))).isEqualTo("fast");
            impl.release("hold-1");
            assertThat(success(c.read(Transport.TTHEADER))).isEqualTo("hold-1 done");
        }
        assertThat(server.rejections().get(RejectionKind.IN_FLIGHT_LIMIT)).isPositive();
    }

    @Test
    void errorsOfAsyncHandlersAreAnsweredAsForSyncOnes() throws Exception {
        final AsyncEcho impl = new AsyncEcho();
        start(impl, b -> { });
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(echo(Transport.TTHEADER, 1, "biz", false, Map.of()));
            final Wire.Response biz = c.read(Transport.TTHEADER);
            assertThat(biz.result(new EchoService.echo_result()).isSetSuccess()).isFalse();
            assertThat(biz.strings()).containsEntry("biz-status", "1234").containsEntry("biz-message", "async biz");
            c.write(echo(Transport.TTHEADER, 2, "throw", false, Map.of()));
            final TApplicationException e = c.read(Transport.TTHEADER).exception();
            assertThat(e.getType()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("biz error: thrown at start");
        }
    }

    @Test
    void completionStageHandlers() throws Exception {
        final StageEcho impl = new StageEcho();
        start(impl, b -> { });
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(echo(Transport.BUFFERED, 1, "now", false, Map.of()));
            assertThat(success(c.read(Transport.BUFFERED))).isEqualTo("stage now");
            c.write(echo(Transport.BUFFERED, 2, "fail", false, Map.of()));
            assertThat(c.read(Transport.BUFFERED).exception().getMessage()).isEqualTo("biz error: stage failed");
            c.write(echo(Transport.BUFFERED, 3, "hold-x", false, Map.of()));
            await().atMost(Duration.ofSeconds(5)).until(() -> impl.held.containsKey("hold-x"));
            impl.held.get("hold-x").completeAsync(() -> "later");
            assertThat(success(c.read(Transport.BUFFERED))).isEqualTo("later");
        }
    }

    @Test
    void aClassMatchingNoStyleIsRefusedWithTheMethodsItLacks() {
        assertThatThrownBy(() -> KitexServer.builder().service(EchoService.class, new Object()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no CompletionStage-returning method for echo(String)");
    }

    @Test
    void gracefulStopWaitsForPendingAsyncCalls() throws Exception {
        final AsyncEcho impl = new AsyncEcho();
        start(impl, b -> { });
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(echo(Transport.TTHEADER, 1, "hold-1", false, Map.of()));
            await().atMost(Duration.ofSeconds(5)).until(() -> impl.held.containsKey("hold-1"));
            final CompletableFuture<Void> stopped = server.stop();
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !stopped.isDone());
            impl.release("hold-1");
            final Wire.Response r = c.read(Transport.TTHEADER);
            assertThat(success(r)).isEqualTo("hold-1 done");
            assertThat(r.strings()).containsEntry("crrst", "1");
            stopped.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void interruptOnDeadlineAnswersAPendingAsyncCallAtItsDeadline() throws Exception {
        final AsyncEcho impl = new AsyncEcho();
        start(impl, b -> b.interruptOnDeadline(true));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(echo(Transport.TTHEADER, 1, "hold-never", false, Map.of(12, "100")));
            final TApplicationException e = c.read(Transport.TTHEADER).exception();
            assertThat(e.getType()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("biz error: context deadline exceeded");
            // The connection goes on; the late completion is ignored.
            impl.held.remove("hold-never").onComplete("too late");
            c.write(echo(Transport.TTHEADER, 2, "next", false, Map.of()));
            assertThat(success(c.read(Transport.TTHEADER))).isEqualTo("next");
        }
    }
}
