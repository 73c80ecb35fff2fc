package io.kitex4j.etcdlauncher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartFailureTest {

    @Test
    void retriesWithNewPortsWhenAPortIsTakenBeforeEtcdBindsIt() throws Exception {
        try (ServerSocket squatter = bindLoopback()) {
            final AtomicInteger allocations = new AtomicInteger();
            try (EtcdCluster cluster = EtcdCluster.builder()
                                                  .portAllocator(count -> {
                                                      final int[] ports = FreePorts.allocate(count);
                                                      if (allocations.getAndIncrement() == 0) {
                                                          // Lose the race on the first attempt's peer port.
                                                          ports[1] = squatter.getLocalPort();
                                                      }
                                                      return ports;
                                                  })
                                                  .start()) {
                assertThat(allocations).hasValue(2);
                assertThat(cluster.member(0).peerPort()).isNotEqualTo(squatter.getLocalPort());
                assertThat(cluster.member(0).isRunning()).isTrue();
                assertThat(Files.readString(cluster.member(0).logFile())).doesNotContain("address already in use");
            }
        }
    }

    @Test
    void givesUpAfterThreePortConflictsAndQuotesTheLog() throws Exception {
        try (ServerSocket squatter = bindLoopback()) {
            final AtomicInteger allocations = new AtomicInteger();
            assertThatThrownBy(() -> EtcdCluster.builder()
                                                .portAllocator(count -> {
                                                    allocations.incrementAndGet();
                                                    final int[] ports = FreePorts.allocate(count);
                                                    ports[0] = squatter.getLocalPort();
                                                    return ports;
                                                })
                                                .start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("3 attempts")
                    .cause().hasMessageContaining("address already in use");
            assertThat(allocations).hasValue(3);
        }
    }

    @Test
    void memberThatExitsFailsTheStartWithTheTailOfItsLog(@TempDir Path directory) throws Exception {
        final Path failingEtcd = Files.writeString(directory.resolve("etcd"),
                                                   "#!/bin/sh\necho 'simulated etcd failure: disk on fire' >&2\n"
                                                   + "exit 3\n");
        assertThat(failingEtcd.toFile().setExecutable(true)).isTrue();
        assertThatThrownBy(() -> EtcdCluster.builder().etcdBinary(failingEtcd).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code 3")
                .hasMessageContaining("simulated etcd failure: disk on fire");
    }

    @Test
    void memberThatNeverServesTimesOutWithTheTailOfItsLog(@TempDir Path directory) throws Exception {
        final Path hangingEtcd = Files.writeString(directory.resolve("etcd"),
                                                   "#!/bin/sh\necho 'simulated etcd hang' >&2\nexec sleep 60\n");
        assertThat(hangingEtcd.toFile().setExecutable(true)).isTrue();
        final long startNanos = System.nanoTime();
        assertThatThrownBy(() -> EtcdCluster.builder()
                                            .etcdBinary(hangingEtcd)
                                            .startTimeout(Duration.ofSeconds(2))
                                            .start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("did not serve within PT2S")
                .hasMessageContaining("simulated etcd hang");
        assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> EtcdCluster.builder().members(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EtcdCluster.builder().members(8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EtcdCluster.builder().startTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EtcdCluster.builder().mode(null))
                .isInstanceOf(NullPointerException.class).hasMessage("mode");
        IntStream.rangeClosed(1, 7).forEach(members -> EtcdCluster.builder().members(members));
    }

    private static ServerSocket bindLoopback() throws IOException {
        final ServerSocket socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        return socket;
    }
}
