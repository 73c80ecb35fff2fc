package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ServiceWatch;
import static io.kitex4j.resolver.ResolverTestSupport.firstSync;
import static io.kitex4j.resolver.ResolverTestSupport.goValue;
import static io.kitex4j.resolver.ResolverTestSupport.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMode;
import io.kitex4j.etcdlauncher.TlsFiles;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.core.loadbalance.LoadBalancers;
import io.kitex4j.testing.EtcdExtension;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reference test cases 2 and 17 on the reading side: weight 0 with a default weight of 0, and a
 * registry and a resolver meeting through an etcd that demands credentials or mutual TLS.
 */
class SecureEtcdAndZeroWeightTest {

    @Nested
    class Plain {
        @RegisterExtension
        final EtcdExtension etcd = EtcdExtension.single();

        @Test
        void case2_weightZeroWithDefaultWeightZeroIsKeptAndNoInstanceIsPicked() throws Exception {
            try (Client client = etcd.newClient()) {
                put(client, "kitex/registry-etcd/zero/10.0.0.1:1", goValue("10.0.0.1:1", 0));
            }
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(etcd.endpoints()).build();
            try (EtcdResolver zeroDefault = EtcdResolver.builder().etcd(config).defaultWeight(0).build();
                 EtcdResolver tenDefault = EtcdResolver.builder().etcd(config).build();
                 ServiceWatch zero = zeroDefault.watch("zero");
                 ServiceWatch ten = tenDefault.watch("zero")) {
                final List<Instance> kept = firstSync(zero).instances();
                assertThat(kept).extracting(Instance::weight).containsExactly(0);
                // As Go's picker returns nil (ErrNoMoreInstance): weight <= 0 is dropped by every weighted balancer.
                assertThat(LoadBalancers.defaultBalancer().newPicker(kept).pick()).isNull();
                assertThat(LoadBalancers.weightedRandom().newPicker(kept).pick()).isNull();

                final List<Instance> defaulted = firstSync(ten).instances();
                assertThat(defaulted).extracting(Instance::weight).containsExactly(10);
                assertThat(LoadBalancers.defaultBalancer().newPicker(defaulted).pick().address()).isEqualTo("10.0.0.1:1");
            }
        }
    }

    @Nested
    class Auth {
        @RegisterExtension
        final EtcdExtension etcd = EtcdExtension.builder().mode(EtcdMode.AUTH).build();

        @Test
        void case17_registryAndResolverMeetThroughAnEtcdWithCredentials() throws Exception {
            assertMeet(EtcdClientConfig.builder().endpoints(etcd.endpoints())
                    .credentials(etcd.username(), etcd.password()).build());
        }
    }

    @Nested
    class Tls {
        @RegisterExtension
        final EtcdExtension etcd = EtcdExtension.builder().mode(EtcdMode.TLS).build();

        @Test
        void case17_registryAndResolverMeetThroughAnEtcdWithMutualTls() throws Exception {
            final TlsFiles tls = etcd.tls();
            assertMeet(EtcdClientConfig.builder().endpoints(etcd.endpoints())
                    .tls(tls.caCert(), tls.clientCert(), tls.clientKey()).build());
        }
    }

    private static void assertMeet(EtcdClientConfig config) throws Exception {
        try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config).build();
             EtcdResolver resolver = EtcdResolver.builder().etcd(config).build();
             ServiceWatch watch = resolver.watch("secure")) {
            assertThat(firstSync(watch).state()).isEqualTo(State.NO_INSTANCES);
            final Registration r = registry.register(RegistrationInfo.builder().service("secure")
                    .address("10.9.8.7:6000").weight(3).tag("k", "v").build()).get(10, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> watch.snapshot().instances().size() == 1);
            assertThat(watch.snapshot().instances()).containsExactly(
                    Instance.of("10.9.8.7:6000", 3, java.util.Map.of("k", "v")));
            r.deregister().get(10, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> watch.snapshot().state() == State.NO_INSTANCES);
        }
    }
}
