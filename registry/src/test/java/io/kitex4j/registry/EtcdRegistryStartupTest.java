package io.kitex4j.registry;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Issue 9, defect 7: the first registration is retried with backoff until the start-up timeout,
 * so that etcd appearing late, or a busy machine where the first attempt gets no answer in time,
 * does not fail a service's start; only etcd staying away longer than the deadline does.
 */
class EtcdRegistryStartupTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    @AfterEach
    void etcdRunsForTheNextTest() {
        final EtcdMember member = ETCD.cluster().member(0);
        if (!member.isRunning()) {
            member.start();
        }
    }

    private static EtcdRegistry.Builder registry(Duration startupTimeout) {
        return EtcdRegistry.builder()
                .etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                              .dialTimeout(Duration.ofSeconds(1)).callTimeout(Duration.ofSeconds(1)).build())
                .env(name -> null)
                .leaseTtl(Duration.ofSeconds(10))
                .startupTimeout(startupTimeout);
    }

    @Test
    void etcdStartedOnlyAfterRegisterWasCalledStillCompletesTheFuture() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        member.stop();
        try (LogCapture logs = new LogCapture();
             EtcdRegistry registry = registry(Duration.ofSeconds(60)).build()) {
            final CompletableFuture<Registration> f = registry.register(RegistrationInfo.of("startup.late", "10.0.4.1:1"));
            final Registration r = registry.registrations().get(0);
            // At least two attempts have failed (each after the 1 s call timeout), the future still waits.
            await().atMost(Duration.ofSeconds(20)).until(() -> logs.startupLines().size() >= 2);
            assertThat(f).isNotDone();
            assertThat(r.state()).isEqualTo(RegistrationState.RETRYING);
            assertThat(logs.startupLines().get(0))
                    .contains("kitex/registry-etcd/startup.late/10.0.4.1:1 not registered yet, waiting for etcd at ["
                            + ETCD.endpoints().get(0) + "]")
                    .contains("attempt 1 failed")
                    .contains("start-up timeout 60 s");

            member.start();
            final Registration registered = f.get(30, TimeUnit.SECONDS);
            assertThat(registered).isSameAs(r);
            assertThat(registered.state()).isEqualTo(RegistrationState.REGISTERED);
            try (Client probeClient = ETCD.newClient()) {
                new EtcdProbe(probeClient).assertInPlace(registered);
            }
        }
    }

    @Test
    void etcdDownLongerThanTheStartupTimeoutFailsAfterItNamingTheEndpointAndTheTimeout() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        member.stop();
        try (EtcdRegistry registry = registry(Duration.ofSeconds(4)).build()) {
            final long start = System.nanoTime();
            final CompletableFuture<Registration> f = registry.register(RegistrationInfo.of("startup.never", "10.0.4.2:1"));
            final ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("register() with etcd down failed after %d ms: %s%n", ms, e.getCause().getMessage());
            assertThat(ms).as("not before the start-up timeout").isGreaterThanOrEqualTo(4_000);
            assertThat(e.getCause()).isInstanceOf(RegistrationException.class)
                    // The diagnosis of the silence names the cause.
                    .hasMessageStartingWith("cannot register kitex/registry-etcd/startup.never/10.0.4.2:1: etcd at "
                                            + ETCD.endpoints().get(0) + ": ")
                    .hasMessageContaining("cannot connect")
                    .hasMessageContaining("not registered within the start-up timeout of 4 s")
                    .hasMessageContaining("still trying in the background");
        }
    }

    /**
     * Ten registries, each with its own jetcd client (as ten processes would have), registering at
     * the same instant against one etcd: every future completes.
     */
    @Test
    void tenRegistriesStartedTogetherAllRegister() throws Exception {
        final List<EtcdRegistry> registries = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                registries.add(registry(EtcdRegistry.DEFAULT_STARTUP_TIMEOUT).build());
            }
            final CountDownLatch go = new CountDownLatch(1);
            final List<CompletableFuture<Registration>> futures = new ArrayList<>();
            final List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                final CompletableFuture<Registration> f = new CompletableFuture<>();
                futures.add(f);
                final EtcdRegistry registry = registries.get(i);
                final RegistrationInfo info = RegistrationInfo.of("startup.ten", "10.0.5." + (i + 1) + ":1");
                final Thread t = new Thread(() -> {
                    try {
                        go.await();
                        registry.register(info).whenComplete((r, err) -> {
                            if (err != null) {
                                f.completeExceptionally(err);
                            } else {
                                f.complete(r);
                            }
                        });
                    } catch (InterruptedException e) {
                        f.completeExceptionally(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            go.countDown();
            for (CompletableFuture<Registration> f : futures) {
                assertThat(f.get(60, TimeUnit.SECONDS).state()).isEqualTo(RegistrationState.REGISTERED);
            }
            try (Client probeClient = ETCD.newClient()) {
                final EtcdProbe probe = new EtcdProbe(probeClient);
                for (CompletableFuture<Registration> f : futures) {
                    probe.assertInPlace(f.join());
                }
            }
        } finally {
            registries.forEach(EtcdRegistry::close);
        }
    }

    @Test
    void startupTimeoutMustBePositive() {
        assertThatThrownBy(() -> registry(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupTimeout: PT0S (expected: > 0)");
    }

    /** Captures the registry's start-up retry lines. */
    private static final class LogCapture implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger(EtcdRegistry.class);
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        LogCapture() {
            appender.start();
            logger.addAppender(appender);
        }

        List<String> startupLines() {
            synchronized (appender) {
                return appender.list.stream()
                        .filter(e -> e.getLevel() == Level.WARN)
                        .map(ILoggingEvent::getFormattedMessage)
                        .filter(m -> m.contains("not registered yet"))
                        .toList();
            }
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
            appender.stop();
        }
    }
}
