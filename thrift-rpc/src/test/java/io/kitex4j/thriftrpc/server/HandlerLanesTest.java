package io.kitex4j.thriftrpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/** The default handler execution (HandlerLanes): batching is correct, and a blocking handler stalls no one. */
@ExtendWith(NettyLeakDetection.class)
class HandlerLanesTest {

    private KitexServer server;
    private final List<KitexClient> clients = new ArrayList<>();
    private final ExecutorService callers = Executors.newCachedThreadPool();

    /** Blocks on "block" until released; records the thread of every call. */
    private static final class BlockingEcho implements EchoService.Iface {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch blocked = new CountDownLatch(1);
        final Set<String> threads = ConcurrentHashMap.newKeySet();

        @Override
        public String echo(String msg) {
            threads.add(Thread.currentThread().getName());
            if ("block".equals(msg)) {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return msg;
        }
    }

    private final BlockingEcho handler = new BlockingEcho();

    private KitexServer start(KitexServerBuilder b) {
        server = b.service(EchoService.class, handler).shutdownHook(false).build().startBlocking();
        return server;
    }

    /** A client with its own connections (one per call in flight). */
    private EchoService.Iface client() {
        final KitexClient c = KitexClient.builder().service("echo").addresses("127.0.0.1:" + server.port())
                                         .rpcTimeout(Duration.ofSeconds(20)).build();
        clients.add(c);
        return c.stub(EchoService.Iface.class);
    }

    @AfterEach
    void stop() {
        handler.release.countDown();
        clients.forEach(KitexClient::close);
        if (server != null) {
            server.close();
        }
        callers.shutdownNow();
    }

    @Test
    void aBlockingHandlerDoesNotStallTheOtherConnectionsOfItsIoThread() throws Exception {
        // One I/O thread: every connection shares one lane, so without the stall check the second call would
        // wait behind the blocked one, which is released only after the second call was answered.
        start(KitexServer.builder().ioThreads(1));
        final EchoService.Iface a = client();
        final EchoService.Iface b = client();
        final Future<String> blocked = callers.submit(() -> a.echo("block"));
        assertThat(handler.blocked.await(10, TimeUnit.SECONDS)).isTrue();

        final long t0 = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            assertThat(b.echo("free-" + i)).isEqualTo("free-" + i);
        }
        final long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(blocked.isDone()).isFalse();
        handler.release.countDown();
        assertThat(blocked.get(10, TimeUnit.SECONDS)).isEqualTo("block");
        assertThat(server.dispatcherForTest().lanes().stallsDetected()).isPositive();
        // Not a timing assertion of speed, a bound far above the 2 ms threshold: the calls did not wait for
        // the blocked one (which never ends by itself).
        assertThat(tookMillis).isLessThan(10_000);
    }

    @Test
    void handlersNeverRunOnIoThreadsAndEveryReplyMatchesItsRequest() throws Exception {
        start(KitexServer.builder().ioThreads(2));
        final EchoService.Iface stub = client();
        final List<Future<List<String>>> results = new ArrayList<>();
        for (int w = 0; w < 32; w++) {
            final int worker = w;
            results.add(callers.submit(() -> {
                final List<String> mismatches = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    final String msg = worker + ":" + i;
                    final String got = stub.echo(msg);
                    if (!msg.equals(got)) {
                        mismatches.add(msg + " -> " + got);
                    }
                }
                return mismatches;
            }));
        }
        for (Future<List<String>> f : results) {
            assertThat(f.get(60, TimeUnit.SECONDS)).isEmpty();
        }
        assertThat(handler.threads).isNotEmpty().allSatisfy(t -> assertThat(t).startsWith("kitex4j-handler-"));
        // Batched: far fewer handler threads than the 32 connections with a call in flight.
        assertThat(server.dispatcherForTest().lanes().poolSize()).isLessThanOrEqualTo(32);
    }

    @Test
    void poolLimitMakesCallsWaitInsteadOfFailing() throws Exception {
        // One handler thread: while it is blocked, a second call waits in its lane and is answered after.
        start(KitexServer.builder().ioThreads(1).maxHandlerThreads(1));
        final EchoService.Iface a = client();
        final EchoService.Iface b = client();
        final Future<String> blocked = callers.submit(() -> a.echo("block"));
        assertThat(handler.blocked.await(10, TimeUnit.SECONDS)).isTrue();
        final Future<String> waiting = callers.submit(() -> b.echo("after"));
        assertThatThrownBy(() -> waiting.get(200, TimeUnit.MILLISECONDS))
                .isInstanceOf(java.util.concurrent.TimeoutException.class);
        handler.release.countDown();
        assertThat(blocked.get(10, TimeUnit.SECONDS)).isEqualTo("block");
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo("after");
    }

    @Test
    void builderRefusesBadLaneSettings() {
        assertThatThrownBy(() -> KitexServer.builder().maxHandlerThreads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxHandlerThreads: 0 (expected: >= 1)");
        assertThatThrownBy(() -> KitexServer.builder().handlerStallThreshold(Duration.ofNanos(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("handlerStallThreshold")
                .hasMessageContaining("expected: 100µs-10s");
        assertThatThrownBy(() -> KitexServer.builder().handlerStallThreshold(Duration.ofSeconds(11)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
