package io.kitex4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.discovery.ServiceWatch;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The health rules of {@link MeshHealth}, one state at a time, with a clock the test moves. */
class MeshHealthTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final MutableClock clock = new MutableClock(T0);

    @Test
    void nothingToLookAtIsUp() {
        final MeshHealthReport report = MeshHealth.builder().clock(clock).build().check();
        assertThat(report.status()).isEqualTo(HealthStatus.UP);
        assertThat(report.checkedAt()).isEqualTo(T0);
        assertThat(report.registrations()).isEmpty();
        assertThat(report.views()).isEmpty();
    }

    @Test
    void registrationRules() {
        final FixedRegistration r = new FixedRegistration("kitex/registry-etcd/echo/10.0.0.1:8888");
        final MeshHealth health = MeshHealth.builder().registration(r).clock(clock)
                .startupGrace(Duration.ofSeconds(10)).downAfter(Duration.ofSeconds(60)).build();

        r.state = RegistrationState.REGISTERING;
        assertThat(one(health).status()).isEqualTo(HealthStatus.UP);
        clock.now = T0.plusSeconds(11);
        assertThat(one(health).status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(one(health).reason()).isEqualTo("still registering after the start-up grace of PT10S");

        r.state = RegistrationState.REGISTERED;
        r.lastContact = T0.plusSeconds(11);
        assertThat(one(health)).isEqualTo(new RegistrationHealth(r.key(), RegistrationState.REGISTERED,
                HealthStatus.UP, T0.plusSeconds(11), Duration.ZERO, null));
        assertThat(health.check().status()).isEqualTo(HealthStatus.UP);

        r.state = RegistrationState.RETRYING;
        r.lastError = new IllegalStateException("no answer");
        clock.now = T0.plusSeconds(41);
        final RegistrationHealth retrying = one(health);
        assertThat(retrying.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(retrying.sinceLastContact()).isEqualTo(Duration.ofSeconds(30));
        assertThat(retrying.reason())
                .isEqualTo("retrying, PT30S since etcd last answered: java.lang.IllegalStateException: no answer");
        assertThat(health.check().status()).isEqualTo(HealthStatus.DEGRADED);
        clock.now = T0.plusSeconds(71);
        assertThat(one(health).status()).isEqualTo(HealthStatus.DEGRADED); // exactly downAfter: not yet
        clock.now = T0.plusSeconds(72);
        assertThat(one(health).status()).isEqualTo(HealthStatus.DOWN);

        r.state = RegistrationState.FAILED;
        assertThat(one(health).status()).isEqualTo(HealthStatus.DOWN);
        r.state = RegistrationState.DEREGISTERED;
        assertThat(one(health).status()).isEqualTo(HealthStatus.DOWN);
        assertThat(health.check().status()).isEqualTo(HealthStatus.DOWN);
    }

    @Test
    void retryingWithoutContactCountsFromBuild() {
        final FixedRegistration r = new FixedRegistration("k");
        r.state = RegistrationState.RETRYING;
        final MeshHealth health = MeshHealth.builder().registration(r).clock(clock).build();
        clock.now = T0.plusSeconds(5);
        assertThat(one(health).sinceLastContact()).isEqualTo(Duration.ofSeconds(5));
        assertThat(one(health).lastContact()).isNull();
        assertThat(one(health).status()).isEqualTo(HealthStatus.DEGRADED); // no downAfter: never DOWN
        clock.now = T0.plus(Duration.ofDays(3));
        assertThat(one(health).status()).isEqualTo(HealthStatus.DEGRADED);
    }

    @Test
    void viewRules() {
        final FixedWatch w = new FixedWatch("echo");
        final MeshHealth health = MeshHealth.builder().watch(w).clock(clock)
                .startupGrace(Duration.ofSeconds(10)).downAfter(Duration.ofSeconds(60)).build();
        final List<Instance> two = List.of(Instance.of("10.0.0.1:1", 10), Instance.of("10.0.0.2:1", 10));

        w.view = ResolvedInstances.syncing("echo");
        assertThat(view(health).status()).isEqualTo(HealthStatus.UP);
        clock.now = T0.plusSeconds(11);
        assertThat(view(health).status()).isEqualTo(HealthStatus.DEGRADED);

        w.view = new ResolvedInstances("echo", two, 7, State.OK, null, T0.plusSeconds(11));
        assertThat(view(health)).isEqualTo(new ViewHealth("echo", State.OK, HealthStatus.UP, 2,
                T0.plusSeconds(11), Duration.ZERO, null));
        w.view = new ResolvedInstances("echo", List.of(), 8, State.NO_INSTANCES, null, T0.plusSeconds(11));
        assertThat(view(health).status()).isEqualTo(HealthStatus.UP);

        w.view = new ResolvedInstances("echo", two, List.of(), 8, State.UNREACHABLE,
                new IllegalStateException("down"), T0.plusSeconds(20), T0.plusSeconds(12));
        clock.now = T0.plusSeconds(32);
        final ViewHealth stale = view(health);
        assertThat(stale.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(stale.instances()).isEqualTo(2);
        assertThat(stale.staleness()).isEqualTo(Duration.ofSeconds(20));
        assertThat(stale.reason())
                .isEqualTo("etcd unreachable, instances possibly PT20S out of date: java.lang.IllegalStateException: down");
        clock.now = T0.plusSeconds(73);
        assertThat(view(health).status()).isEqualTo(HealthStatus.DOWN);
        assertThat(health.check().status()).isEqualTo(HealthStatus.DOWN);
    }

    @Test
    void worstWinsAndServicesAppearOnce() {
        final FixedWatch fresh = new FixedWatch("echo");
        fresh.view = new ResolvedInstances("echo", List.of(), 1, State.OK, null, T0);
        final FixedWatch staleWatch = new FixedWatch("echo");
        staleWatch.view = new ResolvedInstances("echo", List.of(), List.of(), 1, State.UNREACHABLE, null, T0, T0);
        final Resolver resolver = new Resolver() {
            @Override
            public ServiceWatch watch(String service) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<ResolvedInstances> views() {
                return List.of(fresh.view, new ResolvedInstances("user", List.of(), 1, State.OK, null, T0));
            }

            @Override
            public void close() {
            }
        };
        final FixedRegistration r = new FixedRegistration("k");
        r.state = RegistrationState.REGISTERED;
        final MeshHealth health = MeshHealth.builder().resolver(resolver).watch(staleWatch).registration(r)
                .registration(r).clock(clock).build();
        final MeshHealthReport report = health.check();
        assertThat(report.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(report.registrations()).hasSize(1);
        assertThat(report.views()).extracting(ViewHealth::service).containsExactly("echo", "user");
        assertThat(report.views().get(0).state()).isEqualTo(State.UNREACHABLE);
        assertThat(report.details()).isEqualTo(Map.of(
                "checkedAt", T0.toString(),
                "registrations", Map.of("k", Map.of("status", "UP", "state", "REGISTERED",
                        "sinceLastContact", "PT0S")),
                "views", Map.of(
                        "echo", Map.of("status", "DEGRADED", "state", "UNREACHABLE", "instances", 0,
                                "lastContact", T0.toString(), "staleness", "PT0S",
                                "reason", "etcd unreachable, instances possibly PT0S out of date"),
                        "user", Map.of("status", "UP", "state", "OK", "instances", 0,
                                "lastContact", T0.toString(), "staleness", "PT0S"))));
    }

    @Test
    void invalidArgumentsFailAtBuild() {
        assertThatThrownBy(() -> MeshHealth.builder().startupGrace(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupGrace: PT-1S (expected: >= 0)");
        assertThatThrownBy(() -> MeshHealth.builder().downAfter(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("downAfter: PT0S (expected: > 0)");
    }

    @Test
    void worstOrdersStatuses() {
        assertThat(HealthStatus.UP.worst(HealthStatus.DEGRADED)).isEqualTo(HealthStatus.DEGRADED);
        assertThat(HealthStatus.DOWN.worst(HealthStatus.DEGRADED)).isEqualTo(HealthStatus.DOWN);
        assertThat(HealthStatus.UP.worst(HealthStatus.UP)).isEqualTo(HealthStatus.UP);
    }

    private static RegistrationHealth one(MeshHealth health) {
        final MeshHealthReport report = health.check();
        assertThat(report.registrations()).hasSize(1);
        return report.registrations().get(0);
    }

    private static ViewHealth view(MeshHealth health) {
        final MeshHealthReport report = health.check();
        assertThat(report.views()).hasSize(1);
        return report.views().get(0);
    }

    private static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** A registration whose state the test sets: the SPI as a registry implements it. */
    private static final class FixedRegistration implements Registration {
        private final String key;
        volatile RegistrationState state = RegistrationState.REGISTERING;
        volatile Throwable lastError;
        volatile Instant lastContact;

        FixedRegistration(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public Instance instance() {
            return Instance.of("10.0.0.1:8888", 10);
        }

        @Override
        public RegistrationState state() {
            return state;
        }

        @Override
        public Throwable lastError() {
            return lastError;
        }

        @Override
        public Optional<Instant> lastContact() {
            return Optional.ofNullable(lastContact);
        }

        @Override
        public CompletableFuture<Void> deregister() {
            return CompletableFuture.completedFuture(null);
        }
    }

    private static final class FixedWatch implements ServiceWatch {
        private final String service;
        volatile ResolvedInstances view;

        FixedWatch(String service) {
            this.service = service;
        }

        @Override
        public String service() {
            return service;
        }

        @Override
        public ResolvedInstances snapshot() {
            return view;
        }

        @Override
        public CompletableFuture<ResolvedInstances> firstSync() {
            return CompletableFuture.completedFuture(view);
        }

        @Override
        public void addListener(io.kitex4j.core.discovery.ResolverListener listener) {
        }

        @Override
        public void removeListener(io.kitex4j.core.discovery.ResolverListener listener) {
        }

        @Override
        public void close() {
        }
    }
}
