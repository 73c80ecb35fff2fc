package io.kitex4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.core.health.HealthStatus;
import io.kitex4j.core.health.MeshHealth;
import io.kitex4j.core.health.MeshHealthReport;
import io.kitex4j.core.health.RegistrationHealth;
import io.kitex4j.core.health.ViewHealth;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.testing.EtcdExtension;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Discovery meters and {@link MeshHealth} against a real etcd that goes away for longer than the
 * registration's lease TTL and comes back with its data.
 */
class DiscoveryMetricsTest {

    private static final String SERVICE = "metrics.echo";
    private static final String ADDRESS = "10.0.7.1:8888";
    private static final int LEASE_TTL_SECONDS = 3;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final EtcdExtension etcd = EtcdExtension.single();

    private EtcdClientConfig etcdConfig() {
        return EtcdClientConfig.builder().endpoints(etcd.endpoints())
                .dialTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(1)).build();
    }

    @Test
    void metersAndHealthFollowAnEtcdOutage() throws Exception {
        final EtcdMember member = etcd.cluster().member(0);
        final MeterRegistry meters = new SimpleMeterRegistry();
        try (EtcdRegistry registry = EtcdRegistry.builder().etcd(etcdConfig()).env(name -> null)
                     .leaseTtl(Duration.ofSeconds(LEASE_TTL_SECONDS)).observeDelay(Duration.ofSeconds(1))
                     .retryDelay(Duration.ofSeconds(1)).build();
             EtcdResolver resolver = EtcdResolver.builder().etcd(etcdConfig()).callTimeout(Duration.ofSeconds(2))
                     .build();
             DiscoveryMetrics metrics = DiscoveryMetrics.builder().registry(registry).resolver(resolver).build()) {
            metrics.bindTo(meters);
            final MeshHealth health = MeshHealth.builder().registry(registry).resolver(resolver).build();
            final Registration registration = registry.register(RegistrationInfo.of(SERVICE, ADDRESS))
                    .get(10, TimeUnit.SECONDS);
            final ServiceWatch watch = resolver.watch(SERVICE);
            await().atMost(WAIT).until(() -> watch.snapshot().instances().size() == 1);

            // Healthy: exact values.
            assertThat(instances(meters)).isEqualTo(1.0);
            assertThat(staleness(meters)).isEqualTo(0.0);
            assertThat(viewState(meters, State.OK)).isEqualTo(1.0);
            assertThat(viewState(meters, State.UNREACHABLE)).isEqualTo(0.0);
            assertThat(viewState(meters, State.SYNCING)).isEqualTo(0.0);
            assertThat(reconnects(meters)).isEqualTo(0.0);
            assertThat(registrationState(meters, RegistrationState.REGISTERED)).isEqualTo(1.0);
            assertThat(registrationState(meters, RegistrationState.RETRYING)).isEqualTo(0.0);
            assertThat(reRegistrations(meters)).isEqualTo(0.0);
            assertThat(contactAge(meters)).isBetween(0.0, (double) LEASE_TTL_SECONDS);
            final MeshHealthReport up = health.check();
            assertThat(up.status()).isEqualTo(HealthStatus.UP);
            assertThat(up.registrations()).extracting(RegistrationHealth::key, RegistrationHealth::state,
                            RegistrationHealth::status)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(registration.key(),
                            RegistrationState.REGISTERED, HealthStatus.UP));
            assertThat(up.views()).extracting(ViewHealth::service, ViewHealth::state, ViewHealth::status,
                            ViewHealth::instances, ViewHealth::staleness)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(SERVICE, State.OK, HealthStatus.UP, 1,
                            Duration.ZERO));

            // Outage.
            member.stop();
            await().atMost(WAIT).until(() -> registrationState(meters, RegistrationState.RETRYING) == 1.0
                    && viewState(meters, State.UNREACHABLE) == 1.0);
            assertThat(registrationState(meters, RegistrationState.REGISTERED)).isEqualTo(0.0);
            assertThat(viewState(meters, State.OK)).isEqualTo(0.0);
            assertThat(instances(meters)).as("the last known instances are kept").isEqualTo(1.0);
            final double stale = staleness(meters);
            assertThat(stale).isGreaterThan(0.0);
            await().atMost(WAIT).until(() -> staleness(meters) > stale);
            final MeshHealthReport degraded = health.check();
            assertThat(degraded.status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(degraded.registrations().get(0).state()).isEqualTo(RegistrationState.RETRYING);
            assertThat(degraded.registrations().get(0).status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(degraded.registrations().get(0).sinceLastContact()).isPositive();
            final ViewHealth staleView = degraded.views().get(0);
            assertThat(staleView.state()).isEqualTo(State.UNREACHABLE);
            assertThat(staleView.status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(staleView.instances()).isEqualTo(1);
            assertThat(staleView.staleness()).isPositive();
            assertThat(degraded.details()).containsKeys("checkedAt", "registrations", "views");
            // Longer than the lease TTL: the keepalive gives up on the lease, so etcd's restored lease is replaced.
            await().atMost(WAIT).until(() -> contactAge(meters) > 2.0 * LEASE_TTL_SECONDS);
            assertThat(instances(meters)).isEqualTo(1.0);

            // etcd back, with its data.
            member.start();
            await().atMost(WAIT).until(() -> health.check().status() == HealthStatus.UP);
            assertThat(registrationState(meters, RegistrationState.REGISTERED)).isEqualTo(1.0);
            assertThat(registrationState(meters, RegistrationState.RETRYING)).isEqualTo(0.0);
            assertThat(viewState(meters, State.OK)).isEqualTo(1.0);
            assertThat(viewState(meters, State.UNREACHABLE)).isEqualTo(0.0);
            assertThat(staleness(meters)).isEqualTo(0.0);
            assertThat(instances(meters)).isEqualTo(1.0);
            assertThat(reRegistrations(meters)).isEqualTo(1.0);
            // One outage is at least one reconnection; a loaded machine may see the first new watch fail once more.
            final double reconnectsAfterOutage = reconnects(meters);
            assertThat(reconnectsAfterOutage).isBetween(1.0, 3.0);
            assertThat(contactAge(meters)).isBetween(0.0, (double) LEASE_TTL_SECONDS);
            // With etcd up, a change arrives over the same watch: no further reconnection.
            registry.register(RegistrationInfo.of(SERVICE, "10.0.7.2:8888")).get(10, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> instances(meters) == 2.0);
            assertThat(reconnects(meters)).isEqualTo(reconnectsAfterOutage);

            watch.close();
            assertThat(instances(meters)).as("not watched any more").isNaN();
            metrics.close();
            assertThat(meters.getMeters()).isEmpty();
        }
    }

    @Test
    void aNewRegistrationOfTheSameKeyGetsFreshMeters() throws Exception {
        final MeterRegistry meters = new SimpleMeterRegistry();
        try (EtcdRegistry registry = EtcdRegistry.builder().etcd(etcdConfig()).env(name -> null).build();
             DiscoveryMetrics metrics = DiscoveryMetrics.builder().registry(registry).build()) {
            final Registration before = registry.register(RegistrationInfo.of(SERVICE, ADDRESS)).get(10, TimeUnit.SECONDS);
            // Bound after the registration: found through registrations().
            metrics.bindTo(meters);
            assertThat(registrationState(meters, RegistrationState.REGISTERED)).isEqualTo(1.0);
            before.deregister().get(10, TimeUnit.SECONDS);
            assertThat(registrationState(meters, RegistrationState.DEREGISTERED)).isEqualTo(1.0);
            final AtomicReference<Registration> again = new AtomicReference<>(
                    registry.register(RegistrationInfo.of(SERVICE, ADDRESS)).get(10, TimeUnit.SECONDS));
            assertThat(again.get()).isNotSameAs(before);
            assertThat(registrationState(meters, RegistrationState.REGISTERED)).isEqualTo(1.0);
            assertThat(registrationState(meters, RegistrationState.DEREGISTERED)).isEqualTo(0.0);
            assertThat(meters.find("kitex.registry.registration.state").gauges())
                    .hasSize(RegistrationState.values().length);
        }
    }

    @Test
    void builderAndBindRules() {
        assertThatThrownBy(() -> DiscoveryMetrics.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("registry/resolver: none given (expected: at least one registry(...) or resolver(...))");
        try (EtcdResolver resolver = EtcdResolver.builder().etcd(etcdConfig()).build();
             DiscoveryMetrics metrics = DiscoveryMetrics.builder().resolver(resolver).build()) {
            metrics.bindTo(new SimpleMeterRegistry());
            assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("DiscoveryMetrics is already bound (expected: one bindTo call)");
        }
    }

    private static double instances(MeterRegistry m) {
        return m.get("kitex.resolver.instances").tag("service", SERVICE).gauge().value();
    }

    private static double staleness(MeterRegistry m) {
        return m.get("kitex.resolver.staleness").tag("service", SERVICE).gauge().value();
    }

    private static double viewState(MeterRegistry m, State state) {
        return m.get("kitex.resolver.view.state").tag("service", SERVICE).tag("state", state.name()).gauge().value();
    }

    private static double reconnects(MeterRegistry m) {
        return m.get("kitex.resolver.watch.reconnects").tag("service", SERVICE).functionCounter().count();
    }

    private static double registrationState(MeterRegistry m, RegistrationState state) {
        return m.get("kitex.registry.registration.state").tag("service", SERVICE).tag("address", ADDRESS)
                .tag("state", state.name()).gauge().value();
    }

    private static double reRegistrations(MeterRegistry m) {
        return m.get("kitex.registry.reregistrations").tag("service", SERVICE).tag("address", ADDRESS)
                .functionCounter().count();
    }

    private static double contactAge(MeterRegistry m) {
        return m.get("kitex.registry.contact.age").tag("service", SERVICE).tag("address", ADDRESS).gauge().value();
    }
}
