package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.Registry;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/** Start, stop, listeners, draining, and the registry sequence (with a recording registry). */
@ExtendWith(NettyLeakDetection.class)
class KitexServerLifecycleTest {

    private static final byte CALL = 1;

    private final List<String> events = new CopyOnWriteArrayList<>();
    private final InteropHandler interop = new InteropHandler("kitex4j-test");
    private KitexServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private KitexServerBuilder builder() {
        return KitexServer.builder()
                          .service(EchoService.class, new EchoHandler())
                          .service(InteropService.class, interop)
                          .shutdownHook(false)
                          .listener(new ServerListener() {
                              @Override
                              public void serverStarting(KitexServer s) {
                                  events.add("starting " + s.state());
                              }

                              @Override
                              public void serverStarted(KitexServer s) {
                                  events.add("started " + s.state() + " bound=" + (s.port() > 0));
                              }

                              @Override
                              public void serverStopping(KitexServer s) {
                                  events.add("stopping " + s.state());
                              }

                              @Override
                              public void serverStopped(KitexServer s) {
                                  events.add("stopped " + s.state());
                              }
                          });
    }

    @Test
    void startAndStopOnce() {
        server = builder().build();
        assertThat(server.state()).isEqualTo(ServerState.CREATED);
        assertThat(server.localAddress()).isNull();
        assertThat(server.port()).isEqualTo(-1);
        final CompletableFuture<KitexServer> started = server.start();
        assertThat(server.start()).isSameAs(started);
        assertThat(started.join()).isSameAs(server);
        assertThat(server.state()).isEqualTo(ServerState.STARTED);
        assertThat(server.port()).isPositive();
        final CompletableFuture<Void> stopped = server.stop();
        assertThat(server.stop()).isSameAs(stopped);
        stopped.join();
        assertThat(server.state()).isEqualTo(ServerState.STOPPED);
        assertThat(events).containsExactly("starting STARTING", "started STARTED bound=true",
                                           "stopping STOPPING", "stopped STOPPED");
        assertThatThrownBy(() -> new Socket("127.0.0.1", server.port()).close()).isInstanceOf(ConnectException.class);
    }

    @Test
    void stopBeforeStart() {
        server = builder().build();
        server.stop().join();
        assertThat(server.state()).isEqualTo(ServerState.STOPPED);
        assertThatThrownBy(() -> server.start().join()).hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void portInUseFailsTheStart() {
        final KitexServer first = builder().build();
        first.start().join();
        try {
            events.clear();
            server = builder().port(first.port()).build();
            assertThatThrownBy(() -> server.start().join())
                    .isInstanceOf(CompletionException.class)
                    .cause().isInstanceOf(IOException.class).hasMessageContaining("Address already in use");
            assertThat(server.stop()).succeedsWithin(Duration.ofSeconds(10));
            assertThat(server.state()).isEqualTo(ServerState.STOPPED);
            assertThat(events).containsExactly("starting STARTING", "stopped STOPPED");
        } finally {
            first.close();
        }
    }

    @Test
    void stopAnswersInFlightCallsWithCrrstAndClosesIdleConnections() throws Exception {
        server = builder().build();
        server.start().join();
        final InetSocketAddress address = server.localAddress();
        try (Wire.Client busy = new Wire.Client(address); Wire.Client idle = new Wire.Client(address)) {
            idle.write(frame(Transport.FRAMED, message("echo", CALL, 1, new EchoService.echo_args().setMsg("x"))));
            idle.read(Transport.FRAMED);
            busy.write(frame(Transport.TTHEADER, 5, Map.of(), Map.of(),
                             message("sleep", CALL, 5, new InteropService.sleep_args().setMillis(800))));
            assertThat(interop.sleepStarted.await(5, TimeUnit.SECONDS)).isTrue();

            final CompletableFuture<Void> stopped = server.stop();
            idle.assertClosedByPeer(Duration.ofSeconds(3));
            final Wire.Response r = busy.read(Transport.TTHEADER);
            assertThat(r.messageBegin().type).isEqualTo((byte) 2);
            assertThat(r.strings()).containsEntry("crrst", "1");
            busy.assertClosedByPeer(Duration.ofSeconds(3));
            assertThat(stopped).succeedsWithin(Duration.ofSeconds(10));
        }
        assertThatThrownBy(() -> new Wire.Client(address)).isInstanceOf(ConnectException.class);
    }

    @Test
    void drainTimeoutClosesBusyConnections() throws Exception {
        server = builder().drainTimeout(Duration.ofMillis(300)).build();
        server.start().join();
        try (Wire.Client busy = new Wire.Client(server.localAddress())) {
            busy.write(frame(Transport.FRAMED, message("sleep", CALL, 1, new InteropService.sleep_args().setMillis(3000))));
            assertThat(interop.sleepStarted.await(5, TimeUnit.SECONDS)).isTrue();
            final long t0 = System.nanoTime();
            server.stop().join();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(2500));
            busy.assertClosedByPeer(Duration.ofSeconds(1));
        }
    }

    @Test
    void idleConnectionsAreClosedButNotDuringALongCall() throws Exception {
        server = builder().idleTimeout(Duration.ofMillis(300)).build();
        server.start().join();
        try (Wire.Client idle = new Wire.Client(server.localAddress());
             Wire.Client busy = new Wire.Client(server.localAddress())) {
            busy.write(frame(Transport.FRAMED, message("sleep", CALL, 1, new InteropService.sleep_args().setMillis(900))));
            idle.assertClosedByPeer(Duration.ofSeconds(3));
            assertThat(busy.read(Transport.FRAMED).messageBegin().type).isEqualTo((byte) 2);
            busy.assertClosedByPeer(Duration.ofSeconds(3));
        }
    }

    @Test
    void aConnectionInUseIsNotIdle() throws Exception {
        server = builder().idleTimeout(Duration.ofMillis(300)).build();
        server.start().join();
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            // Ten calls 100 ms apart: 1 s in all, each gap well under the idle timeout.
            for (int i = 1; i <= 10; i++) {
                c.write(frame(Transport.FRAMED, message("ping", CALL, i, new InteropService.ping_args())));
                assertThat(c.read(Transport.FRAMED).messageBegin().seqid).isEqualTo(i);
                // The gap itself is the test (activity paced under the idle timeout), not a wait for something.
                Thread.sleep(100);
            }
            c.assertClosedByPeer(Duration.ofSeconds(3));
        }
    }

    @Test
    void registersAfterBindAndDeregistersFirst() throws Exception {
        final RecordingRegistry registry = new RecordingRegistry(null);
        server = builder().registry(registry, "echo-svc").weight(7).tag("cluster", "a")
                          .exitWait(Duration.ofMillis(400)).build();
        server.start().join();
        assertThat(registry.infos).singleElement().satisfies(info -> {
            assertThat(info.service()).isEqualTo("echo-svc");
            assertThat(info.address().port()).isEqualTo(server.port());
            assertThat(info.weight()).isEqualTo(7);
            assertThat(info.tags()).containsExactlyEntriesOf(Map.of("cluster", "a"));
        });
        assertThat(events).containsExactly("starting STARTING", "register (port open: true)",
                                           "started STARTED bound=true");
        assertThat(server.registration()).isNotNull();
        server.stop().join();
        assertThat(events).containsSubsequence("stopping STOPPING", "deregister (port open: true)", "stopped STOPPED");
    }

    @Test
    void registryAddressOverride() {
        final RecordingRegistry registry = new RecordingRegistry(null);
        server = builder().registry(registry, "echo-svc").registryAddress("10.1.2.3:9999")
                          .exitWait(Duration.ZERO).build();
        server.start().join();
        assertThat(registry.infos.get(0).address().toString()).isEqualTo("10.1.2.3:9999");
    }

    @Test
    void failedRegistrationFailsTheStartByDefault() {
        final RecordingRegistry registry = new RecordingRegistry(new IllegalStateException("etcd down"));
        server = builder().registry(registry, "echo-svc").build();
        assertThatThrownBy(() -> server.start().join()).hasRootCauseMessage("etcd down");
        assertThat(server.stop()).succeedsWithin(Duration.ofSeconds(10));
        assertThat(server.state()).isEqualTo(ServerState.STOPPED);
        // The registration still retrying in the background is stopped.
        assertThat(events).anyMatch(e -> e.startsWith("deregister"));
    }

    @Test
    void failedRegistrationCanBeTolerated() {
        final RecordingRegistry registry = new RecordingRegistry(new IllegalStateException("etcd down"));
        server = builder().registry(registry, "echo-svc").requireRegistration(false)
                          .exitWait(Duration.ZERO).build();
        server.start().join();
        assertThat(server.state()).isEqualTo(ServerState.STARTED);
        server.stop().join();
        assertThat(events).contains("deregister (port open: true)");
    }

    /** Records calls; checks the port is open when registering and deregistering. */
    private final class RecordingRegistry implements Registry {
        final List<RegistrationInfo> infos = new CopyOnWriteArrayList<>();
        private final RuntimeException failure;

        RecordingRegistry(RuntimeException failure) {
            this.failure = failure;
        }

        @Override
        public CompletableFuture<Registration> register(RegistrationInfo info) {
            infos.add(info);
            events.add("register (port open: " + portOpen() + ")");
            final Registration reg = new Registration() {
                private final CompletableFuture<Void> deregistered = new CompletableFuture<>();

                @Override
                public String key() {
                    return "test/" + info.service() + "/" + info.address();
                }

                @Override
                public Instance instance() {
                    return Instance.of(info.address().toString(), info.weight());
                }

                @Override
                public RegistrationState state() {
                    return RegistrationState.REGISTERED;
                }

                @Override
                public Throwable lastError() {
                    return null;
                }

                @Override
                public synchronized CompletableFuture<Void> deregister() {
                    if (!deregistered.isDone()) {
                        events.add("deregister (port open: " + portOpen() + ")");
                        deregistered.complete(null);
                    }
                    return deregistered;
                }
            };
            if (failure != null) {
                return CompletableFuture.failedFuture(new RegistrationException("cannot register", reg, failure));
            }
            return CompletableFuture.completedFuture(reg);
        }

        private boolean portOpen() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", server.port()), 1000);
                return true;
            } catch (Exception e) {
                return false;
            }
        }

        @Override
        public void close() {}
    }
}
