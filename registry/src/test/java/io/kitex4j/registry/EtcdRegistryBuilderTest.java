package io.kitex4j.registry;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Builder and argument checks; no etcd is contacted (the client connects lazily). */
class EtcdRegistryBuilderTest {

    private static final String NOWHERE = "http://127.0.0.1:1";

    private static EtcdRegistry.Builder builder() {
        return EtcdRegistry.builder().endpoints(NOWHERE);
    }

    @Test
    void requiresEtcd() {
        assertThatThrownBy(() -> EtcdRegistry.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("etcd: required");
    }

    @Test
    void refusesBothConfigAndEndpoints() {
        assertThatThrownBy(() -> builder().etcd(EtcdClientConfig.of(NOWHERE)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("etcd: set one of connection(EtcdConnection), etcd(EtcdClientConfig) and endpoints(...)"
                            + " (expected: exactly one)");
        try (EtcdConnection connection = EtcdConnection.of(NOWHERE)) {
            assertThatThrownBy(() -> builder().connection(connection).build())
                    .hasMessageStartingWith("etcd: set one of");
        }
    }

    @Test
    void badEndpointIsNamed() {
        assertThatThrownBy(() -> EtcdRegistry.builder().endpoints("ftp://127.0.0.1:2379").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("endpoints: 'ftp://127.0.0.1:2379'");
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> builder().maxAttempts(-1).build())
                .hasMessage("maxAttempts: must be >= 0 (0 retries forever), got -1");
        assertThatThrownBy(() -> builder().observeDelay(Duration.ZERO).build())
                .hasMessage("observeDelay: must be positive, got PT0S");
        assertThatThrownBy(() -> builder().retryDelay(Duration.ofSeconds(-1)).build())
                .hasMessage("retryDelay: must be positive, got PT-1S");
        assertThatThrownBy(() -> builder().retryJitter(1.0).build()).hasMessage("retryJitter: must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> builder().retryJitter(-0.1).build()).hasMessageStartingWith("retryJitter:");
        assertThatThrownBy(() -> builder().retryJitter(Double.NaN).build()).hasMessageStartingWith("retryJitter:");
        assertThatThrownBy(() -> builder().leaseTtl(Duration.ZERO).build()).hasMessage("leaseTtl: must be positive, got PT0S");
        assertThatThrownBy(() -> builder().leaseTtl(Duration.ofMillis(1500)).build())
                .hasMessageStartingWith("leaseTtl: must be a whole number of seconds");
        assertThatThrownBy(() -> builder().prefix(null)).isInstanceOf(NullPointerException.class).hasMessage("prefix");
    }

    @ParameterizedTest
    @CsvSource(value = {
        "NULL, 60",       // unset: default
        "30, 30",
        "+30, 30",
        "abc, 60",        // Atoi fails: default, as Go
        "'', 60",         // set but empty: Atoi("") fails
        "1.5, 60",
        "-5, -5",         // Atoi parses: used unchecked, as Go (etcd raises it to its minimum)
        "0, 0",
    }, nullValues = "NULL")
    void leaseTtlComesFromTheEnvironmentAsInGo(String env, long expected) {
        final Map<String, String> vars = env == null ? Map.of() : Map.of("KITEX_ETCD_REGISTRY_LEASE_TTL", env);
        try (EtcdRegistry r = builder().env(vars::get).build()) {
            assertThat(r.leaseTtlSeconds()).isEqualTo(expected);
        }
    }

    @Test
    void explicitLeaseTtlWinsOverTheEnvironment() {
        try (EtcdRegistry r = builder().env(Map.of("KITEX_ETCD_REGISTRY_LEASE_TTL", "30")::get)
                .leaseTtl(Duration.ofSeconds(7)).build()) {
            assertThat(r.leaseTtlSeconds()).isEqualTo(7);
        }
    }

    @Test
    void defaults() {
        try (EtcdRegistry r = builder().env(n -> null).build()) {
            assertThat(r.keyLayout()).isEqualTo(KeyLayout.kitex());
            assertThat(r.leaseTtlSeconds()).isEqualTo(60);
            assertThat(r.settings().maxAttempts()).isZero();
            assertThat(r.settings().observeDelay()).isEqualTo(Duration.ofSeconds(30));
            assertThat(r.settings().retryDelay()).isEqualTo(Duration.ofSeconds(10));
            assertThat(r.settings().callTimeout()).isEqualTo(Duration.ofSeconds(3));
        }
    }

    @Test
    void jitterStaysWithinItsSpread() {
        try (EtcdRegistry r = builder().retryJitter(0.2).build()) {
            for (int i = 0; i < 1000; i++) {
                assertThat(r.settings().jittered(Duration.ofSeconds(10))).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(12));
            }
        }
        try (EtcdRegistry r = builder().retryJitter(0).build()) {
            assertThat(r.settings().jittered(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(10));
        }
    }

    @Test
    void registrationInfoValidation() {
        assertThatThrownBy(() -> RegistrationInfo.builder().address(":1").build()).hasMessage("service: required");
        assertThatThrownBy(() -> RegistrationInfo.of("", ":1")).hasMessage("service: must not be empty");
        assertThatThrownBy(() -> RegistrationInfo.of("a/b", ":1"))
                .hasMessage("service: 'a/b' must not contain '/'");
        assertThatThrownBy(() -> RegistrationInfo.builder().service("echo").build()).hasMessage("address: required");
        assertThatThrownBy(() -> RegistrationInfo.of("echo", "8888")).hasMessage("address: '8888' has no port");
        final RegistrationInfo info = RegistrationInfo.builder().service("echo").address("10.0.0.5:8888")
                .weight(-3).tag("b", "2").tags(Map.of("a", "1")).build();
        assertThat(info.weight()).isEqualTo(-3);
        assertThat(info.tags()).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
    }

    @Test
    void unusableAddressFailsTheFutureWithoutBackgroundWork() {
        try (EtcdRegistry r = builder().env(n -> null).interfaceAddresses(List::of).build()) {
            final CompletableFuture<Registration> f = r.register(RegistrationInfo.of("echo", ":8888"));
            assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("no non-loopback IPv4");
            assertThatThrownBy(() -> r.register(RegistrationInfo.of("echo", "10.0.0.5:0")).get())
                    .cause().isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port 0");
            assertThat(r.registrations()).isEmpty();
        }
    }

    @Test
    void registerAfterCloseFails() {
        final EtcdRegistry r = builder().build();
        r.close();
        r.close(); // idempotent
        assertThatThrownBy(() -> r.register(RegistrationInfo.of("echo", "10.0.0.5:8888")).get())
                .cause().isInstanceOf(IllegalStateException.class).hasMessage("the registry is closed");
    }
}
