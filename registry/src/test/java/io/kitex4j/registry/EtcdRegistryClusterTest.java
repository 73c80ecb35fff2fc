package io.kitex4j.registry;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A registration survives losing the etcd leader of a 3-member cluster. */
class EtcdRegistryClusterTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.builder().members(3).build();

    @Test
    void leaderKilledUnderARegistration() throws Exception {
        final EtcdProbe.Transitions transitions = new EtcdProbe.Transitions();
        try (Client probeClient = ETCD.newClient();
             EtcdRegistry registry = EtcdRegistry.builder()
                     .etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                                   .dialTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(1)).build())
                     .env(name -> null)
                     .leaseTtl(Duration.ofSeconds(5)).observeDelay(Duration.ofSeconds(2)).retryDelay(Duration.ofSeconds(1))
                     .listener(transitions)
                     .build()) {
            final EtcdProbe probe = new EtcdProbe(probeClient);
            final Registration r = registry.register(RegistrationInfo.of("clustered", "10.0.2.1:1")).get(5, TimeUnit.SECONDS);
            probe.assertInPlace(r);

            final EtcdMember leader = ETCD.cluster().leader();
            leader.kill();
            final long start = System.nanoTime();
            // The key must be confirmed in place (read through the surviving members) with a live lease...
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .untilAsserted(() -> probe.assertInPlace(r));
            final long confirmedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // ...and stay so for more than two TTLs, which needs the keepalive to work through the new leader.
            // Checked all along: a read through a member still catching up may fail, so a failed check is
            // retried, but the key must be found in place again within a second.
            await().during(Duration.ofSeconds(11)).atMost(Duration.ofSeconds(14)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> await().atMost(Duration.ofSeconds(1)).ignoreExceptions()
                            .untilAsserted(() -> probe.assertInPlace(r)));
            System.out.printf("leader %s killed: registration confirmed after %d ms, still in place 11 s later"
                              + " under lease %x (transitions %s)%n",
                              leader.name(), confirmedMs, ((EtcdRegistration) r).leaseId(), transitions.of(r));
            leader.start();
        }
    }
}
