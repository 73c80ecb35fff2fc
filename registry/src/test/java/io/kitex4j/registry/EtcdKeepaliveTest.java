package io.kitex4j.registry;

import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.testing.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * etcd's default keepalive enforcement never answers our pings with {@code GOAWAY ENHANCE_YOUR_CALM
 * (too_many_pings)}.
 *
 * <p>etcd's policy (default {@code --grpc-keepalive-min-time} 5 s, pings without streams not
 * permitted) strikes a ping on a connection without an open stream unless the previous ping was 2 h
 * ago, and a ping on a connection with streams if it comes sooner than 5 s after the previous one;
 * the third strike gets GOAWAY (grpc-go internal/transport/http2_server.go#handlePing). gRPC-java
 * pings at most every 10 s (its minimum keepalive time), so with the old settings (keepalive
 * without calls) an idle connection got GOAWAY about 30 s after going idle. This test therefore
 * watches for {@link #OBSERVED} = 40 s, four ping intervals, which is the shortest run that can show
 * the fault; it cannot be shortened without changing etcd's default flags, which is the point.
 */
class EtcdKeepaliveTest {

    private static final Duration OBSERVED = Duration.ofSeconds(40);

    /** Default flags: EtcdCluster passes no --grpc-keepalive-* flag (asserted below). */
    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private final List<String> grpcLog = new CopyOnWriteArrayList<>();
    private final Handler grpcHandler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            grpcLog.add(r.getLoggerName() + " " + r.getLevel() + " " + r.getMessage() + " "
                        + java.util.Arrays.toString(r.getParameters()));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private final Logger grpcLogger = Logger.getLogger("io.grpc");
    private java.util.logging.Level grpcLevel;
    private final ListAppender<ILoggingEvent> slf4jLog = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        // grpc-netty reports a GOAWAY with java.util.logging: NettyClientHandler at WARNING, the channel
        // logger at FINER. Capture all of it, and kitex4j's and jetcd's (slf4j) loggers too.
        grpcLevel = grpcLogger.getLevel();
        grpcLogger.setLevel(java.util.logging.Level.FINER);
        grpcLogger.addHandler(grpcHandler);
        slf4jLog.start();
        for (String name : new String[] {"io.kitex4j", "io.etcd", "io.grpc", "io.netty"}) {
            final ch.qos.logback.classic.Logger l = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name);
            l.addAppender(slf4jLog);
        }
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.etcd")).setLevel(Level.DEBUG);
    }

    @AfterEach
    void restoreLogs() {
        grpcLogger.removeHandler(grpcHandler);
        grpcLogger.setLevel(grpcLevel);
        for (String name : new String[] {"io.kitex4j", "io.etcd", "io.grpc", "io.netty"}) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).detachAppender(slf4jLog);
        }
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.etcd")).setLevel(Level.ERROR);
    }

    @Test
    void etcdWithDefaultKeepalivePolicyNeverSendsTooManyPings() throws Exception {
        assertThat(etcdCommandLine()).doesNotContain("keepalive");
        final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build();
        assertThat(config.keepaliveTime()).isEqualTo(Duration.ofSeconds(10));
        try (EtcdRegistry busy = EtcdRegistry.builder().etcd(config).env(n -> null).build();
             EtcdRegistry idle = EtcdRegistry.builder().etcd(config).env(n -> null).build();
             Client oneCall = config.newClient()) {
            // One connection with an open lease keepalive stream, one that goes idle: its only
            // registration is deregistered, as between the retries of a registry that cannot register.
            busy.register(RegistrationInfo.of("keepalive", "10.0.9.1:1")).get(10, TimeUnit.SECONDS);
            idle.register(RegistrationInfo.of("keepalive", "10.0.9.2:1")).get(10, TimeUnit.SECONDS)
                    .deregister().get(10, TimeUnit.SECONDS);
            // And a connection that made one call, as `kitex4j ls` or a resolver whose watches are closed.
            oneCall.getKVClient().get(ByteSequence.from("keepalive", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            final long start = System.nanoTime();
            await().during(OBSERVED).atMost(OBSERVED.plusSeconds(10)).pollInterval(Duration.ofMillis(500))
                    .failFast("etcd sent GOAWAY too_many_pings (see the log above)",
                              () -> !noGoAway(grpcLog) || !noGoAway(slf4jMessages()))
                    .until(() -> true);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(OBSERVED.toNanos());
            assertThat(busy.registrations()).singleElement()
                    .satisfies(r -> assertThat(r.state()).isEqualTo(RegistrationState.REGISTERED));
        }
        assertThat(grpcLog).noneMatch(l -> l.contains("too_many_pings") || l.contains("ENHANCE_YOUR_CALM"));
        assertThat(slf4jMessages()).noneMatch(l -> l.contains("too_many_pings") || l.contains("ENHANCE_YOUR_CALM"));
    }

    private List<String> slf4jMessages() {
        return slf4jLog.list.stream().map(e -> e.getFormattedMessage()
                + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage())).toList();
    }

    private static boolean noGoAway(List<String> lines) {
        return lines.stream().noneMatch(l -> l.contains("too_many_pings") || l.contains("ENHANCE_YOUR_CALM"));
    }

    private static String etcdCommandLine() throws Exception {
        // The command line of the etcd process serving our endpoint, from /proc.
        final String port = ETCD.endpoints().get(0).replaceAll(".*:", "");
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    final String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    if (cmd.contains("etcd") && cmd.contains("--listen-client-urls") && cmd.contains(":" + port)) {
                        return cmd;
                    }
                } catch (java.io.IOException e) {
                    // gone meanwhile
                }
            }
        }
        throw new AssertionError("no etcd process found for " + ETCD.endpoints());
    }
}
