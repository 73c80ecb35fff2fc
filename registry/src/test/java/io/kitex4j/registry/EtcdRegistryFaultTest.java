package io.kitex4j.registry;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.registry.internal.EtcdChannels;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The registration comes back after the faults a long-running server meets. Delays are scaled down
 * (TTL 5 s, observe 2 s, retry 1 s) so the class runs in about a minute; each test prints how long
 * re-registration took and bounds it.
 */
class EtcdRegistryFaultTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static Client probeClient;
    private static EtcdProbe probe;

    @BeforeAll
    static void openProbe() {
        probeClient = ETCD.newClient();
        probe = new EtcdProbe(probeClient);
    }

    @AfterAll
    static void closeProbe() {
        probeClient.close();
    }

    @AfterEach
    void etcdRunsForTheNextTest() {
        final EtcdMember member = ETCD.cluster().member(0);
        if (!member.isRunning()) {
            member.start();
        }
    }

    private static EtcdRegistry.Builder registry(int ttlSeconds, int observeSeconds, int retrySeconds) {
        return EtcdRegistry.builder()
                .etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                              .dialTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(1)).build())
                .env(name -> null)
                .leaseTtl(Duration.ofSeconds(ttlSeconds))
                .observeDelay(Duration.ofSeconds(observeSeconds))
                .retryDelay(Duration.ofSeconds(retrySeconds));
    }

    /** Waits until the registration is fully in place again under a lease other than {@code oldLease}; returns ms. */
    private static long awaitBack(Registration r, long oldLease, Duration bound) {
        final long start = System.nanoTime();
        await().atMost(bound).pollInterval(Duration.ofMillis(100)).ignoreExceptions().untilAsserted(() -> {
            assertThat(((EtcdRegistration) r).leaseId()).isNotEqualTo(oldLease);
            probe.assertInPlace(r);
        });
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /** The key must still be there, under the same live lease, after more than a TTL: nothing is about to vanish. */
    private static void assertStaysFor(Registration r, Duration d) {
        final long lease = ((EtcdRegistration) r).leaseId();
        // Something that must not happen within d: checked all along, not only at the end.
        await().during(d).atMost(d.plusSeconds(2)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            probe.assertInPlace(r);
            assertThat(((EtcdRegistration) r).leaseId()).isEqualTo(lease);
        });
    }

    @Test
    void keyDeletedByHandIsPutBackUnderANewLeaseWithinObserveDelay() throws Exception {
        final EtcdProbe.Transitions transitions = new EtcdProbe.Transitions();
        try (EtcdRegistry registry = registry(60, 2, 1).listener(transitions).build()) {
            final Registration r = registry.register(RegistrationInfo.of("deleted", "10.0.1.1:1")).get(5, TimeUnit.SECONDS);
            final long oldLease = ((EtcdRegistration) r).leaseId();
            probe.delete(r.key());
            final long ms = awaitBack(r, oldLease, Duration.ofMillis(2000 + 1500));
            System.out.printf("key deleted by hand (observe 2 s): re-registered after %d ms%n", ms);
            assertThat(probe.ttl(oldLease)).as("the replaced lease is revoked").isEqualTo(-1);
            assertThat(r.lastError()).hasMessageContaining("is missing");
            assertThat(((EtcdRegistration) r).reRegistrations()).isEqualTo(1);
            assertThat(transitions.of(r)).containsExactly(
                    "REGISTERING->REGISTERED", "REGISTERED->RETRYING", "RETRYING->REGISTERED");
        }
    }

    @Test
    void keyDeletedByHandWithTheDefaultRelationOfDelays() throws Exception {
        // Defaults are TTL 60 s, observe 30 s, retry 10 s; here a tenth of them.
        try (EtcdRegistry registry = registry(6, 3, 1).build()) {
            final Registration r = registry.register(RegistrationInfo.of("deleted2", "10.0.1.2:1")).get(5, TimeUnit.SECONDS);
            final long oldLease = ((EtcdRegistration) r).leaseId();
            // A point in time, not a condition: delete mid-period, not right after a check.
            Thread.sleep(1000);
            probe.delete(r.key());
            final long ms = awaitBack(r, oldLease, Duration.ofMillis(3000 + 1500));
            System.out.printf("key deleted by hand (TTL 6 s, observe 3 s, retry 1 s): re-registered after %d ms%n", ms);
            assertStaysFor(r, Duration.ofSeconds(7));
        }
    }

    @Test
    void keyOverwrittenWithoutOurLeaseIsPutBack() throws Exception {
        try (EtcdRegistry registry = registry(60, 2, 1).build()) {
            final Registration r = registry.register(RegistrationInfo.of("overwritten", "10.0.1.3:1")).get(5, TimeUnit.SECONDS);
            final long oldLease = ((EtcdRegistration) r).leaseId();
            probe.put(r.key(), InstanceCodec.encode(r.instance())); // same value, but no lease: would never expire
            final long ms = awaitBack(r, oldLease, Duration.ofMillis(2000 + 1500));
            System.out.printf("key re-put without a lease: back under our lease after %d ms%n", ms);
            assertThat(r.lastError()).hasMessageContaining("is under lease none, not under ours");
        }
    }

    @Test
    void etcdStoppedLongerThanTheTtlAndRestartedWithItsData() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        try (EtcdRegistry registry = registry(5, 2, 1).build()) {
            final Registration r = registry.register(RegistrationInfo.of("restarted", "10.0.1.4:1")).get(5, TimeUnit.SECONDS);
            final long oldLease = ((EtcdRegistration) r).leaseId();
            member.stop();
            await().atMost(Duration.ofSeconds(7)).until(() -> r.state() == RegistrationState.RETRYING);
            // Six TTLs: the keepalive gives up on the lease, and gRPC's reconnect backoff grows past 10 s,
            // which the registry must cut short (EtcdChannels) to be back within a retry delay or two.
            // The outage itself: its length is what the test is about, there is nothing to await.
            Thread.sleep(30_000);
            member.start();
            // The probe's own client went through the same outage; without this it may wait out gRPC's backoff.
            EtcdChannels.resetConnectBackoff(probeClient);
            // etcd restores the old lease with a fresh TTL, and the key survives under it, but nobody keeps it alive:
            // the registration must move the key to a new lease before that one expires.
            final long ms = awaitBack(r, oldLease, Duration.ofSeconds(5));
            System.out.printf("etcd stopped 30 s (TTL 5 s) and restarted with its data: re-registered after %d ms%n", ms);
            await().atMost(Duration.ofSeconds(3)).until(() -> probe.ttl(oldLease) == -1);
            assertStaysFor(r, Duration.ofSeconds(6));
        }
    }

    @Test
    void etcdRestartedWithAWipedDataDir() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        // observeDelay 30 s: only the keepalive (etcd answering "lease not found") can bring it back within the bound.
        try (EtcdRegistry registry = registry(5, 30, 1).build()) {
            final Registration r = registry.register(RegistrationInfo.of("wiped", "10.0.1.5:1")).get(5, TimeUnit.SECONDS);
            final long oldLease = ((EtcdRegistration) r).leaseId();
            member.wipeAndStart();
            assertThat(probe.get(r.key())).as("wiped").satisfiesAnyOf(
                    kv -> assertThat(kv).isNull(), kv -> assertThat(kv.getLease()).isNotEqualTo(oldLease));
            // The keepalive asks every TTL/3; etcd answers TTL 0 for the lost lease.
            final long ms = awaitBack(r, oldLease, Duration.ofSeconds(5));
            System.out.printf("etcd restarted with a wiped data dir: re-registered after %d ms%n", ms);
            assertThat(r.lastError()).hasMessageContaining("is gone");
            assertThat(((EtcdRegistration) r).reRegistrations()).isEqualTo(1);
            assertThat(r.lastContact()).isPresent();
            assertStaysFor(r, Duration.ofSeconds(6));
        }
    }
}
