package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/** What handlers see (ServerCallContext, Metainfo), deadlines, executors. */
@ExtendWith(NettyLeakDetection.class)
class KitexServerCallTest {

    private static final byte CALL = 1;

    private final InteropHandler interop = new InteropHandler("kitex4j-test");
    private KitexServer server;
    private ExecutorService executor;

    private KitexServer start(KitexServerBuilder b) {
        server = b.service(InteropService.class, interop)
                  .service(EchoService.class, new EchoHandler())
                  .shutdownHook(false)
                  .build();
        server.start().join();
        return server;
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

    @Test
    void handlerSeesCallerDeadlineMetainfoAndSendsBackward() throws Exception {
        start(KitexServer.builder());
        final Map<String, String> strings = new LinkedHashMap<>();
        strings.put("isn", "InteropService");
        strings.put("RPC_TRANSIT_t", "tv");
        strings.put("RPC_TRANSIT_send-back-backward-key", "backward-value");
        strings.put("RPC_PERSIST_p", "pv");
        strings.put("other", "ignored");
        final Map<Integer, String> ints = new LinkedHashMap<>();
        ints.put(3, "caller-svc");
        ints.put(20, "CallerMethod");
        ints.put(12, "1500");
        ints.put(6, "InteropService");
        ints.put(9, "callInfo");
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.TTHEADER, 77, strings, ints,
                          message("callInfo", CALL, 77, new InteropService.callInfo_args())));
            final Wire.Response r = c.read(Transport.TTHEADER);
            final CallInfo info = r.result(new InteropService.callInfo_result()).getSuccess();
            assertThat(info.getCallerService()).isEqualTo("caller-svc");
            assertThat(info.getCallerMethod()).isEqualTo("CallerMethod");
            assertThat(info.getMethod()).isEqualTo("callInfo");
            assertThat(info.getTimeoutMillis()).isEqualTo(1500);
            assertThat(info.getDeadlineRemainingMillis()).isBetween(1L, 1500L);
            assertThat(info.getTransport()).isEqualTo("TTHEADER");
            assertThat(info.getSeqId()).isEqualTo(77);
            assertThat(info.getRemoteAddress()).startsWith("/127.0.0.1:");
            assertThat(info.getTransients())
                    .containsExactlyInAnyOrderEntriesOf(Map.of("t", "tv", "send-back-backward-key", "backward-value"));
            assertThat(info.getPersistents()).containsExactlyEntriesOf(Map.of("p", "pv"));
            // Backward metainfo: a raw string key in the response header.
            assertThat(r.strings()).containsEntry("backward-key", "backward-value");
            assertThat(r.ints()).containsEntry(22, "2");
            assertThat(r.headerSeqId()).isEqualTo(77);
        }
        final ServerCallContext ctx = interop.contexts.get(0);
        assertThat(ctx.idlService()).isEqualTo("InteropService");
        assertThat(ctx.oneway()).isFalse();
        assertThat(ctx.requestStrings().get("isn")).isEqualTo("InteropService");
        assertThat(ctx.deadline()).isNotNull();
        // Metainfo.current() in the handler: received transients readable but not forwarded (Kitex
        // TransferForward), persistents forwarded.
        final Metainfo mi = interop.metainfos.get(0);
        assertThat(mi.transientValue("t")).isEqualTo("tv");
        assertThat(mi.outgoingTransients()).isEmpty();
        assertThat(mi.persistentValue("p")).isEqualTo("pv");
        assertThat(mi.toHeaderStrings()).containsExactlyEntriesOf(Map.of("RPC_PERSIST_p", "pv"));
        // Nothing leaks out of the handler thread.
        assertThat(ServerCallContext.currentOrNull()).isNull();
    }

    @Test
    void withoutTTHeaderTheContextHasNoMeta() throws Exception {
        start(KitexServer.builder());
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("callInfo", CALL, 1, new InteropService.callInfo_args())));
            final CallInfo info = c.read(Transport.FRAMED).result(new InteropService.callInfo_result()).getSuccess();
            assertThat(info.getCallerService()).isEmpty();
            assertThat(info.getCallerMethod()).isEmpty();
            assertThat(info.getTimeoutMillis()).isEqualTo(-1);
            assertThat(info.getDeadlineRemainingMillis()).isEqualTo(-1);
            assertThat(info.getTransport()).isEqualTo("FRAMED");
            assertThat(info.getTransients()).isEmpty();
        }
        assertThat(interop.contexts.get(0).requestStrings()).isEmpty();
        assertThat(interop.contexts.get(0).requestInts()).isEmpty();
        assertThat(interop.metainfos.get(0).isEmpty()).isTrue();
    }

    @Test
    void javaErrorIsReportedLikeAGoPanic() throws Exception {
        start(KitexServer.builder());
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("echo", CALL, 1, new EchoService.echo_args().setMsg("panic"))));
            final TApplicationException e = c.read(Transport.FRAMED).exception();
            assertThat(e.getType()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("panic: [happened in biz handler, method=EchoService.echo, "
                                                 + "please check the panic at the server side] oops");
            c.write(frame(Transport.FRAMED, message("echo", CALL, 2, new EchoService.echo_args().setMsg("ok"))));
            assertThat(c.read(Transport.FRAMED).result(new EchoService.echo_result()).getSuccess()).isEqualTo("ok");
        }
    }

    @Test
    void expiredDeadlineIsNotStartedWhenEnforced() throws Exception {
        start(KitexServer.builder().enforceDeadline(true));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            // The second request waits behind the first (one call at a time per connection) and its
            // 100 ms deadline passes before it can start.
            c.write(KitexServerWireTest.concat(
                    frame(Transport.FRAMED, message("sleep", CALL, 1, new InteropService.sleep_args().setMillis(400))),
                    frame(Transport.TTHEADER_FRAMED, 2, Map.of(), Map.of(12, "100"),
                          message("callInfo", CALL, 2, new InteropService.callInfo_args()))));
            assertThat(c.read(Transport.FRAMED).messageBegin().type).isEqualTo((byte) 2);
            final Wire.Response r = c.read(Transport.TTHEADER_FRAMED);
            final TApplicationException e = r.exception();
            assertThat(e.getType()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("biz error: context deadline exceeded");
            assertThat(r.messageBegin().name).isEqualTo("callInfo");
            assertThat(r.messageBegin().seqid).isEqualTo(2);
            // The connection stays open; a request with time left runs.
            c.write(frame(Transport.TTHEADER_FRAMED, 3, Map.of(), Map.of(12, "5000"),
                          message("callInfo", CALL, 3, new InteropService.callInfo_args())));
            assertThat(c.read(Transport.TTHEADER_FRAMED).result(new InteropService.callInfo_result())
                        .getSuccess().getTimeoutMillis()).isEqualTo(5000);
        }
        // callInfo ran once (seqId 3), never for seqId 2.
        assertThat(interop.contexts).extracting(ServerCallContext::seqId).containsExactly(1, 3);
    }

    @Test
    void expiredDeadlineStillRunsWhenNotEnforced() throws Exception {
        start(KitexServer.builder());
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(KitexServerWireTest.concat(
                    frame(Transport.FRAMED, message("sleep", CALL, 1, new InteropService.sleep_args().setMillis(300))),
                    frame(Transport.TTHEADER_FRAMED, 2, Map.of(), Map.of(12, "50"),
                          message("callInfo", CALL, 2, new InteropService.callInfo_args()))));
            c.read(Transport.FRAMED);
            final CallInfo info = c.read(Transport.TTHEADER_FRAMED).result(new InteropService.callInfo_result())
                                   .getSuccess();
            assertThat(info.getTimeoutMillis()).isEqualTo(50);
            assertThat(info.getDeadlineRemainingMillis()).isZero();
        }
    }

    @Test
    void interruptOnDeadlineInterruptsTheHandlerAndClearsTheFlag() throws Exception {
        executor = Executors.newSingleThreadExecutor();
        start(KitexServer.builder().interruptOnDeadline(true).executor(executor));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            final long t0 = System.nanoTime();
            c.write(frame(Transport.TTHEADER, 1, Map.of(), Map.of(12, "200"),
                          message("sleep", CALL, 1, new InteropService.sleep_args().setMillis(10_000))));
            final TApplicationException e = c.read(Transport.TTHEADER).exception();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(e.getType()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("biz error: context deadline exceeded");
            assertThat(interop.sleepInterrupted).isTrue();
            // Same (only) executor thread, next call: the interrupt flag did not leak.
            c.write(frame(Transport.FRAMED, message("ping", CALL, 2, new InteropService.ping_args())));
            assertThat(c.read(Transport.FRAMED).messageBegin().type).isEqualTo((byte) 2);
            assertThat(interop.pingSawInterrupt).isFalse();
        }
    }

    @Test
    void rejectedByTheExecutorIsOverLimitAndTheConnectionStaysOpen() throws Exception {
        final java.util.concurrent.atomic.AtomicBoolean reject = new java.util.concurrent.atomic.AtomicBoolean(true);
        executor = Executors.newCachedThreadPool();
        start(KitexServer.builder().executor(task -> {
            if (reject.get()) {
                throw new RejectedExecutionException("full");
            }
            executor.execute(task);
        }));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            // Many pipelined requests, all refused: each gets its answer, in order.
            byte[] all = new byte[0];
            for (int i = 1; i <= 500; i++) {
                all = KitexServerWireTest.concat(all, frame(Transport.FRAMED,
                        message("echo", CALL, i, new EchoService.echo_args().setMsg("x"))));
            }
            c.write(all);
            for (int i = 1; i <= 500; i++) {
                final Wire.Response r = c.read(Transport.FRAMED);
                assertThat(r.messageBegin().seqid).isEqualTo(i);
                final TApplicationException e = r.exception();
                assertThat(e.getType()).isEqualTo(6);
                assertThat(e.getMessage()).isEqualTo("request over limit: request too frequent");
            }
            reject.set(false);
            c.write(frame(Transport.FRAMED, message("echo", CALL, 501, new EchoService.echo_args().setMsg("y"))));
            assertThat(c.read(Transport.FRAMED).result(new EchoService.echo_result()).getSuccess()).isEqualTo("y");
        }
    }

    @Test
    void userExecutorRunsHandlers() throws Exception {
        executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "my-handler"));
        start(KitexServer.builder().executor(executor));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("ping", CALL, 1, new InteropService.ping_args())));
            c.read(Transport.FRAMED);
        }
        assertThat(interop.threads).containsExactly("my-handler");
    }

    @Test
    void directExecutorRunsHandlersOnTheIoThreadAndAnswersPipelinedRequestsInOrder() throws Exception {
        start(KitexServer.builder().directExecutor().ioThreads(1));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("ping", CALL, 1, new InteropService.ping_args())));
            c.read(Transport.FRAMED);
            // 200 pipelined requests in one write: more than the in-flight limit wait behind each other, and
            // each completes inside the loop that starts the next (no re-entry, no reordering).
            byte[] all = new byte[0];
            for (int i = 1; i <= 200; i++) {
                all = KitexServerWireTest.concat(all, frame(Transport.FRAMED,
                        message("echo", CALL, i, new EchoService.echo_args().setMsg("m" + i))));
            }
            c.write(all);
            for (int i = 1; i <= 200; i++) {
                final Wire.Response r = c.read(Transport.FRAMED);
                assertThat(r.messageBegin().seqid).isEqualTo(i);
                assertThat(r.result(new EchoService.echo_result()).getSuccess()).isEqualTo("m" + i);
            }
        }
        assertThat(interop.threads).hasSize(1);
        assertThat(interop.threads.get(0)).startsWith("kitex4j-server-io");
    }

    @Test
    void directExecutorRefusesInterruptOnDeadline() {
        final KitexServerBuilder b = KitexServer.builder().directExecutor().interruptOnDeadline(true)
                .service(EchoService.class, new EchoHandler());
        org.assertj.core.api.Assertions.assertThatThrownBy(b::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("interruptOnDeadline cannot be combined with directExecutor(): it would interrupt an I/O thread");
    }
}
