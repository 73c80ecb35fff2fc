package io.kitex4j.registry;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the registry writes and deletes, against a real single-member etcd. */
class EtcdRegistryTest {

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

    private static EtcdRegistry.Builder registry() {
        return EtcdRegistry.builder().endpoints(ETCD.endpoints()).env(name -> null);
    }

    private static Registration register(EtcdRegistry registry, RegistrationInfo info) throws Exception {
        return registry.register(info).get(10, TimeUnit.SECONDS);
    }

    @Test
    void weightZeroIsWrittenAsTenUnderTheDefaultPrefixExactlyAsGoWritesIt() throws Exception {
        try (EtcdRegistry registry = registry().build()) {
            final Registration r = register(registry, RegistrationInfo.of("echo", "10.0.0.5:8888"));
            assertThat(r.key()).isEqualTo("kitex/registry-etcd/echo/10.0.0.5:8888");
            assertThat(probe.value("kitex/registry-etcd/echo/10.0.0.5:8888"))
                    .isEqualTo("{\"network\":\"tcp\",\"address\":\"10.0.0.5:8888\",\"weight\":10,\"tags\":null}");
            assertThat(r.instance()).isEqualTo(Instance.of("10.0.0.5:8888", 10));
            probe.assertInPlace(r);
            assertThat(probe.ttl(((EtcdRegistration) r).leaseId())).isBetween(50L, 60L);
        }
        assertThat(probe.get("kitex/registry-etcd/echo/10.0.0.5:8888")).isNull();
    }

    @Test
    void customPrefixTagsAndNegativeWeight() throws Exception {
        try (EtcdRegistry registry = registry().prefix("etcd/v1").build()) {
            final Registration r = register(registry, RegistrationInfo.builder().service("tagged")
                    .address("10.0.0.6:9000").weight(-5).tags(Map.of("zone", "z1", "cluster", "a&b")).build());
            assertThat(r.key()).isEqualTo("etcd/v1/tagged/10.0.0.6:9000");
            assertThat(probe.value(r.key())).isEqualTo("{\"network\":\"tcp\",\"address\":\"10.0.0.6:9000\",\"weight\":-5,"
                    + "\"tags\":{\"cluster\":\"a\\u0026b\",\"zone\":\"z1\"}}");
            assertThat(InstanceCodec.decode(probe.value(r.key())).tag("cluster")).isEqualTo("a&b");
        }
    }

    @Test
    void emptyPrefixWritesALeadingSlash() throws Exception {
        try (EtcdRegistry registry = registry().prefix("").build()) {
            final Registration r = register(registry, RegistrationInfo.of("slash", "10.0.0.7:1"));
            assertThat(r.key()).isEqualTo("/slash/10.0.0.7:1");
            assertThat(probe.get("/slash/10.0.0.7:1")).isNotNull();
        }
    }

    @Test
    void ipv6IsBracketedInKeyAndValue() throws Exception {
        try (EtcdRegistry registry = registry().build()) {
            final Registration r = register(registry, RegistrationInfo.of("v6", "fd00::1:8888"));
            assertThat(r.key()).isEqualTo("kitex/registry-etcd/v6/[fd00::1]:8888");
            assertThat(probe.value(r.key()))
                    .isEqualTo("{\"network\":\"tcp\",\"address\":\"[fd00::1]:8888\",\"weight\":10,\"tags\":null}");
        }
    }

    @Test
    void environmentOverridesHostAndPort() throws Exception {
        final Function<String, String> env =
                Map.of("KITEX_IP_TO_REGISTRY", "1.2.3.4", "KITEX_PORT_TO_REGISTRY", "9999")::get;
        try (EtcdRegistry registry = registry().env(env).build()) {
            final Registration r = register(registry, RegistrationInfo.of("envsvc", ":8888"));
            assertThat(r.key()).isEqualTo("kitex/registry-etcd/envsvc/1.2.3.4:9999");
            assertThat(InstanceCodec.decode(probe.value(r.key())).address()).isEqualTo("1.2.3.4:9999");
        }
    }

    @Test
    void wildcardListenAddressIsReplacedByALocalIpv4() throws Exception {
        final String local = Addresses.firstNonLoopbackIpv4(Addresses.systemInterfaceAddresses());
        try (EtcdRegistry registry = registry().build()) {
            if (local == null) {
                // A host with no non-loopback IPv4 cannot publish a wildcard address: the register() call
                // must say so (and how to fix it) rather than register something undialable.
                org.assertj.core.api.Assertions.assertThat(registry.register(RegistrationInfo.of("wild", ":7001")))
                        .failsWithin(java.time.Duration.ofSeconds(5))
                        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                        .withMessageContaining("KITEX_IP_TO_REGISTRY");
                return;
            }
            for (String listen : new String[] {":7001", "0.0.0.0:7002", "[::]:7003"}) {
                final Registration r = register(registry, RegistrationInfo.of("wild", listen));
                final String address = InstanceCodec.decode(probe.value(r.key())).address();
                assertThat(address).isEqualTo(local + ":" + HostAndPort.parse(listen).port());
                assertThat(java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getByName(local))).isNotNull();
            }
        }
    }

    @Test
    void deregisterDeletesExactlyItsKeyRevokesTheLeaseAndIsIdempotent() throws Exception {
        final EtcdProbe.Transitions transitions = new EtcdProbe.Transitions();
        try (EtcdRegistry registry = registry().listener(transitions).build()) {
            final Registration r = register(registry, RegistrationInfo.of("dereg", "10.0.0.8:1"));
            final Registration other = register(registry, RegistrationInfo.of("dereg", "10.0.0.8:2"));
            probe.put("kitex/registry-etcd/dereg/10.0.0.8:10", "{}"); // written by someone else
            final long lease = ((EtcdRegistration) r).leaseId();
            assertThat(probe.ttl(lease)).isPositive();

            final CompletableFuture<Void> first = r.deregister();
            assertThat(r.deregister()).isSameAs(first);
            first.get(10, TimeUnit.SECONDS);

            assertThat(r.state()).isEqualTo(RegistrationState.DEREGISTERED);
            assertThat(probe.get(r.key())).isNull();
            assertThat(probe.ttl(lease)).as("revoked lease").isEqualTo(-1);
            assertThat(probe.get("kitex/registry-etcd/dereg/10.0.0.8:10")).isNotNull();
            probe.assertInPlace(other);
            assertThat(registry.registrations()).containsExactly(other);
            assertThat(transitions.of(r)).containsExactly("REGISTERING->REGISTERED", "REGISTERED->DEREGISTERED");

            // Idempotent even after completion; and the key may be registered again.
            r.deregister().get(1, TimeUnit.SECONDS);
            final Registration again = register(registry, RegistrationInfo.of("dereg", "10.0.0.8:1"));
            assertThat(((EtcdRegistration) again).leaseId()).isNotEqualTo(lease);
            probe.assertInPlace(again);
        } finally {
            probe.delete("kitex/registry-etcd/dereg/10.0.0.8:10");
        }
    }

    @Test
    void closeDeregistersEverythingAndIsIdempotent() throws Exception {
        final EtcdRegistry registry = registry().build();
        final Registration a = register(registry, RegistrationInfo.of("closing", "10.0.0.9:1"));
        final Registration b = register(registry, RegistrationInfo.of("closing2", "10.0.0.9:2"));
        registry.close();
        registry.close();
        for (Registration r : new Registration[] {a, b}) {
            assertThat(r.state()).isEqualTo(RegistrationState.DEREGISTERED);
            assertThat(probe.get(r.key())).isNull();
            assertThat(probe.ttl(((EtcdRegistration) r).leaseId())).isEqualTo(-1);
        }
        assertThatThrownBy(() -> registry.register(RegistrationInfo.of("closing", "10.0.0.9:3")).get())
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeFromAListenerDoesNotDeadlock() throws Exception {
        final java.util.concurrent.atomic.AtomicReference<EtcdRegistry> self = new java.util.concurrent.atomic.AtomicReference<>();
        final EtcdRegistry registry = registry().listener((r, from, to, cause) -> {
            if (to == RegistrationState.REGISTERED) {
                self.get().close();
            }
        }).build();
        self.set(registry);
        final Registration r = register(registry, RegistrationInfo.of("selfclose", "10.0.0.13:1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> r.state() == RegistrationState.DEREGISTERED);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(probe.get(r.key())).isNull());
    }

    @Test
    void aSharedConnectionIsNotClosed() throws Exception {
        try (EtcdConnection shared = EtcdConnection.of(EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build())) {
            final EtcdRegistry registry = EtcdRegistry.builder().connection(shared).env(n -> null).build();
            final Registration r = register(registry, RegistrationInfo.of("shared", "10.0.0.10:1"));
            registry.close();
            assertThat(r.state()).isEqualTo(RegistrationState.DEREGISTERED);
            assertThat(shared.isClosed()).isFalse();
            // Still usable after the registry closed.
            assertThat(shared.client().getKVClient().get(EtcdProbe.bytes(r.key())).get(5, TimeUnit.SECONDS).getKvs())
                    .isEmpty();
        }
    }

    @Test
    void theSameKeyTwiceIsRefused() throws Exception {
        try (EtcdRegistry registry = registry().build()) {
            final Registration r = register(registry, RegistrationInfo.of("twice", "10.0.0.11:1"));
            assertThatThrownBy(() -> registry.register(RegistrationInfo.of("twice", "10.0.0.11:1")).get())
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already registered");
            probe.assertInPlace(r);
        }
    }

    @Test
    void keepaliveKeepsAShortLeaseAlive() throws Exception {
        try (EtcdRegistry registry = registry().leaseTtl(Duration.ofSeconds(3)).build()) {
            final Registration r = register(registry, RegistrationInfo.of("short", "10.0.0.12:1"));
            final long lease = ((EtcdRegistration) r).leaseId();
            // More than two TTLs, checked all along: the key must never be missing nor move to a new lease.
            await().during(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(9)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> {
                        probe.assertInPlace(r);
                        assertThat(((EtcdRegistration) r).leaseId()).as("the same lease, kept alive").isEqualTo(lease);
                    });
            final KeyValue kv = probe.get(r.key());
            assertThat(kv.getLease()).isEqualTo(lease);
        }
    }

    @Test
    void listenerAddedAfterBuildHearsEveryChangeUntilRemoved_andLastContactFollowsEtcd() throws Exception {
        final EtcdProbe.Transitions transitions = new EtcdProbe.Transitions();
        try (EtcdRegistry registry = registry().build()) {
            registry.addListener(transitions);
            final java.time.Instant before = java.time.Instant.now();
            final Registration r = register(registry, RegistrationInfo.of("late", "10.0.0.9:1"));
            assertThat(registry.registrations()).containsExactly(r);
            assertThat(r.lastContact()).hasValueSatisfying(t -> assertThat(t).isAfterOrEqualTo(before));
            assertThat(((EtcdRegistration) r).reRegistrations()).isZero();
            registry.removeListener(transitions);
            r.deregister().get(10, TimeUnit.SECONDS);
            assertThat(transitions.of(r)).containsExactly("REGISTERING->REGISTERED");
            assertThat(registry.registrations()).isEmpty();
        }
    }
}
