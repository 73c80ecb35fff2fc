package io.kitex4j.registry;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** register() while etcd is down: a clear failure at the start-up timeout, then the registration catches up in the background. */
class EtcdRegistryUnreachableTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final Duration DIAL_TIMEOUT = Duration.ofSeconds(2);

    @AfterEach
    void etcdRunsForTheNextTest() {
        final EtcdMember member = ETCD.cluster().member(0);
        if (!member.isRunning()) {
            member.start();
        }
    }

    private static EtcdRegistry.Builder registry() {
        return EtcdRegistry.builder()
                .etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                              .dialTimeout(DIAL_TIMEOUT).callTimeout(Duration.ofSeconds(1)).build())
                .env(name -> null)
                .leaseTtl(Duration.ofSeconds(5)).observeDelay(Duration.ofSeconds(2)).retryDelay(Duration.ofSeconds(1))
                // The future's answer comes at the start-up timeout (EtcdRegistryStartupTest); make it short here.
                .startupTimeout(DIAL_TIMEOUT);
    }

    private static RegistrationException failure(CompletableFuture<Registration> f, long startNanos) {
        final ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> f.get(DIAL_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS));
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        System.out.printf("register() with etcd down failed after %d ms: %s%n", ms, e.getCause().getMessage());
        assertThat(ms).isLessThanOrEqualTo(DIAL_TIMEOUT.toMillis() + 500);
        assertThat(e.getCause()).isInstanceOf(RegistrationException.class);
        return (RegistrationException) e.getCause();
    }

    @Test
    void failsAtTheStartupTimeoutThenRegistersInTheBackgroundWhenEtcdAppears() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        member.stop();
        final EtcdProbe.Transitions transitions = new EtcdProbe.Transitions();
        try (EtcdRegistry registry = registry().listener(transitions).build()) {
            final long start = System.nanoTime();
            final RegistrationException e = failure(registry.register(RegistrationInfo.of("late", "10.0.3.1:1")), start);
            assertThat(e).hasMessageStartingWith("cannot register kitex/registry-etcd/late/10.0.3.1:1: etcd at "
                                                  + ETCD.endpoints().get(0) + ": ")
                    .hasMessageContaining("cannot connect")
                    .hasMessageContaining("still trying in the background");
            assertThat(e.getCause()).isInstanceOfSatisfying(EtcdAccessException.class, access -> {
                assertThat(access.kind()).isEqualTo(EtcdAccessException.Kind.UNREACHABLE);
                assertThat(EtcdAccessException.isPermanent(e)).isFalse();
            });
            final Registration r = e.registration();
            assertThat(r.key()).isEqualTo("kitex/registry-etcd/late/10.0.3.1:1");
            assertThat(r.state()).isIn(RegistrationState.REGISTERING, RegistrationState.RETRYING);
            assertThat(registry.registrations()).containsExactly(r);
            // Must not register (or give up) while etcd is down: checked for 2 s.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                    .until(() -> r.state() == RegistrationState.RETRYING);
            assertThat(r.lastError()).isNotNull();

            member.start();
            final long up = System.nanoTime();
            try (Client probeClient = ETCD.newClient()) {
                final EtcdProbe probe = new EtcdProbe(probeClient);
                await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                        .untilAsserted(() -> probe.assertInPlace(r));
                System.out.printf("etcd appeared: registered in the background after %d ms%n",
                                  TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up));
                assertThat(transitions.of(r)).containsExactly("REGISTERING->RETRYING", "RETRYING->REGISTERED");

                r.deregister().get(5, TimeUnit.SECONDS);
                assertThat(probe.get(r.key())).isNull();
            }
        }
    }

    @Test
    void maxAttemptsEndsInFailed() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        member.stop();
        try (EtcdRegistry registry = registry().maxAttempts(2).build()) {
            final long start = System.nanoTime();
            final RegistrationException e = failure(registry.register(RegistrationInfo.of("doomed", "10.0.3.2:1")), start);
            final Registration r = e.registration();
            await().atMost(Duration.ofSeconds(6)).until(() -> r.state() == RegistrationState.FAILED);
            assertThat(r.lastError()).isNotNull();
            member.start();
            try (Client probeClient = ETCD.newClient()) {
                final EtcdProbe probe = new EtcdProbe(probeClient);
                // FAILED is final: no more attempts even once etcd is back (something that must not happen).
                await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(8)).ignoreExceptions()
                        .untilAsserted(() -> {
                            assertThat(r.state()).isEqualTo(RegistrationState.FAILED);
                            assertThat(probe.get(r.key())).isNull();
                        });
            }
            r.deregister().get(5, TimeUnit.SECONDS);
            assertThat(r.state()).isEqualTo(RegistrationState.DEREGISTERED);
        }
    }

    @Test
    void deregisterWhileRetryingStopsTheBackgroundAttempts() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        member.stop();
        try (EtcdRegistry registry = registry().build()) {
            final long start = System.nanoTime();
            final Registration r = failure(registry.register(RegistrationInfo.of("abandoned", "10.0.3.3:1")), start)
                    .registration();
            // The delete fails while etcd is down; the registration is still over.
            assertThatThrownBy(() -> r.deregister().get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            assertThat(r.state()).isEqualTo(RegistrationState.DEREGISTERED);
            assertThat(registry.registrations()).isEmpty();
            member.start();
            try (Client probeClient = ETCD.newClient()) {
                final EtcdProbe probe = new EtcdProbe(probeClient);
                // Something that must not happen: checked for 2.5 s once etcd answers.
                await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(8)).ignoreExceptions()
                        .untilAsserted(() -> assertThat(probe.get(r.key())).as("never registered after deregister")
                                .isNull());
            }
        }
    }
}
