package io.kitex4j.registry;

import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.testing.EtcdMember;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LongOutageScratchTest {
    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    @Test
    void longOutage() throws Exception {
        final EtcdMember member = ETCD.cluster().member(0);
        try (EtcdRegistry registry = EtcdRegistry.builder().endpoints(ETCD.endpoints()).env(n -> null)
                .leaseTtl(Duration.ofSeconds(10)).observeDelay(Duration.ofSeconds(2)).retryDelay(Duration.ofSeconds(1)).build()) {
            final Registration r = registry.register(RegistrationInfo.of("long", "10.0.9.1:1")).get(5, TimeUnit.SECONDS);
            final long old = r.leaseId();
            member.stop();
            Thread.sleep(Long.getLong("outage", 120_000));
            member.start();
            final long up = System.nanoTime();
            try (Client c = ETCD.newClient()) {
                EtcdProbe p = new EtcdProbe(c);
                await().atMost(Duration.ofSeconds(200)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> r.leaseId() != old && r.state() == RegistrationState.REGISTERED && p.get(r.key()) != null);
                System.out.printf("SCRATCH long outage: back after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up));
            }
        }
    }
}
