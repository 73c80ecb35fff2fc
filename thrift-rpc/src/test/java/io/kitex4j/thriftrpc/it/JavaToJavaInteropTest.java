package io.kitex4j.thriftrpc.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.ConnectionLostException;
import io.kitex4j.core.RemoteApplicationException;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.client.AsyncStub;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.JavaClientContract;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/**
 * The kitex4j client against the kitex4j server over real sockets, in every transport (and multiplexed): the
 * {@link JavaClientContract} (the same as against a Go server, {@code JavaClientToGoServerTest} in interop-tests),
 * the raw TTHeader the server received, and frame size limits and concurrency.
 */
@ExtendWith(NettyLeakDetection.class)
class JavaToJavaInteropTest extends JavaClientContract {

    private static InteropHandler handlerA;
    private static InteropHandler handlerB;
    private static KitexServer serverA;
    private static KitexServer serverB;
    private static KitexClient root;
    private static final Map<Mode, KitexClient> CLIENTS = new EnumMap<>(Mode.class);

    @BeforeAll
    static void startServers() {
        handlerA = new InteropHandler("java-a");
        handlerB = new InteropHandler("java-b");
        serverA = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handlerA)
                .shutdownHook(false).build().startBlocking();
        serverB = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handlerB)
                .shutdownHook(false).build().startBlocking();
        root = KitexClient.builder().service("interop").fromService("it-client")
                .addresses("127.0.0.1:" + serverA.port()).connectTimeout(Duration.ofSeconds(2))
                .rpcTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stopServers() {
        root.close();
        handlerA.close();
        handlerB.close();
        serverA.close();
        serverB.close();
    }

    @Override
    protected Stream<Mode> modes() {
        return Stream.of(Mode.values());
    }

    @Override
    protected synchronized KitexClient client(Mode mode) {
        return CLIENTS.computeIfAbsent(mode, m -> root.newBuilder().transport(m.transport).multiplexed(m.muxConnections)
                .build());
    }

    @Override
    protected String serverName() {
        return "java-a";
    }

    @Override
    protected String clientService() {
        return "it-client";
    }

    @Override
    protected String calleeService() {
        return "interop";
    }

    @Override
    protected String onwardTarget() {
        return "127.0.0.1:" + serverB.port();
    }

    @Override
    protected String onwardCallerService() {
        return "java-a";
    }

    /** The kitex4j handler also reports the raw TTHeader: what the client wrote in it. */
    @Override
    protected void assertRawHeaderAsTheServerSawIt(Mode mode, CallInfo info) {
        if (mode.ttheader()) {
            assertThat(info.getHeaderStrings()).containsEntry("isn", "InteropService");
            assertThat(info.getHeaderInts()).containsEntry(22, "1").containsEntry(17, "2000")
                    .containsEntry(1, mode.transport.isFramed() ? "framed" : "unframed");
        } else {
            assertThat(info.isSetHeaderInts()).isFalse();
        }
    }

    // ------------------------------------------------------------------ limits, concurrency (Java server only)

    @ParameterizedTest
    @EnumSource(Mode.class)
    void oversizedFramesAreRefused(Mode mode) throws Exception {
        // A reply over the client's limit.
        try (KitexClient small = client(mode).newBuilder().maxFrameBytes(1024 * 1024).build()) {
            assertThatThrownBy(() -> small.stub(InteropService.Iface.class).makeBinary(2 * 1024 * 1024))
                    .isInstanceOfSatisfying(RemoteApplicationException.class,
                            e -> assertThat(e.getCause()).isInstanceOfSatisfying(TTransportException.class,
                                    c -> assertThat(c.getType()).isEqualTo(TTransportException.CORRUPTED_DATA)));
            assertThat(small.stub(InteropService.Iface.class).echoString("small")).isEqualTo("small");
        }
        // A request over the server's (16 MiB): it closes the connection without an answer.
        final ByteBuffer tooBig = ByteBuffer.wrap(new byte[17 * 1024 * 1024]);
        // Whether the write fails first or the close is seen first depends on timing; never a reply.
        assertThatThrownBy(() -> stub(mode).echoBinary(tooBig))
                .isInstanceOfAny(ConnectionLostException.class, ConnectFailedException.class);
        assertThat(stub(mode).echoString("after")).isEqualTo("after");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void concurrentCallsFromManyThreads(Mode mode) throws Exception {
        final ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int thread = t;
                done.add(threads.submit(() -> {
                    final InteropService.Iface s = stub(mode);
                    final AsyncStub<InteropService.Iface> a = client(mode).async(InteropService.Iface.class);
                    for (int i = 0; i < 100; i++) {
                        final String v = thread + "-" + i;
                        assertThat(s.echoString(v)).isEqualTo(v);
                        assertThat(a.call(x -> x.echoI64(thread * 1000L + 1)).join()).isEqualTo(thread * 1000L + 1);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
