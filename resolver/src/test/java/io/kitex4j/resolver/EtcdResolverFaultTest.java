package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.ServiceWatch;
import static io.kitex4j.resolver.ResolverTestSupport.addresses;
import static io.kitex4j.resolver.ResolverTestSupport.delete;
import static io.kitex4j.resolver.ResolverTestSupport.firstSync;
import static io.kitex4j.resolver.ResolverTestSupport.goValue;
import static io.kitex4j.resolver.ResolverTestSupport.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.resolver.ResolverTestSupport.LogCapture;
import io.kitex4j.resolver.ResolverTestSupport.RecordingListener;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd going away and coming back, on a fresh single-member etcd per test. Each test prints how long
 * the recovery took and asserts a bound.
 */
class EtcdResolverFaultTest {

    private static final String DIR = "kitex/registry-etcd/fault/";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(1);
    /** From etcd serving again to the resolver's view being right (gRPC reconnect backoff included). */
    private static final Duration MAX_RECOVERY = Duration.ofSeconds(10);

    @RegisterExtension
    final EtcdExtension etcd = EtcdExtension.single();

    private EtcdResolver newResolver() {
        return EtcdResolver.builder()
                .etcd(EtcdClientConfig.builder().endpoints(etcd.endpoints()).build())
                .callTimeout(CALL_TIMEOUT)
                .build();
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    @Test
    void etcdStopped_servesStaleList_thenRestartedWithItsData_seesNewChanges() throws Exception {
        final EtcdMember member = etcd.cluster().member(0);
        try (Client client = etcd.newClient()) {
            put(client, DIR + "10.0.0.1:1", goValue("10.0.0.1:1", 10));
            put(client, DIR + "10.0.0.2:1", goValue("10.0.0.2:1", 10));
        }
        try (EtcdResolver resolver = newResolver(); ServiceWatch watch = resolver.watch("fault")) {
            final ResolvedInstances before = firstSync(watch);
            assertThat(addresses(before)).containsExactly("10.0.0.1:1", "10.0.0.2:1");
            final RecordingListener listener = new RecordingListener();
            watch.addListener(listener);
            listener.next();

            long t0 = System.nanoTime();
            member.stop();
            final ResolverUpdate down = listener.await(u -> u.current().state() == State.UNREACHABLE).update();
            final long detectMillis = millisSince(t0);
            System.out.println("etcd stopped: view UNREACHABLE after " + detectMillis + " ms");
            assertThat(down.instancesChanged()).isFalse();
            assertThat(down.previous().state()).isEqualTo(State.OK);
            // Stale, but still served.
            final ResolvedInstances stale = watch.snapshot();
            assertThat(stale.isStale()).isTrue();
            assertThat(stale.lastError()).isNotNull();
            assertThat(addresses(stale)).containsExactly("10.0.0.1:1", "10.0.0.2:1");
            assertThat(stale.revision()).isEqualTo(before.revision());
            // Staleness counts from when etcd last backed the view (the end of the confirmed watch), not
            // from when the view turned UNREACHABLE, and the same moment stays in later stale views.
            assertThat(stale.lastContact()).isNotNull().isAfterOrEqualTo(before.lastContact())
                    .isBefore(stale.lastUpdate());
            assertThat(stale.staleness(stale.lastUpdate())).isEqualTo(
                    Duration.between(stale.lastContact(), stale.lastUpdate()));
            assertThat(resolver.watchReconnects("fault")).isEqualTo(1);
            // The view may have been re-made since (a later failed read, with its own error): compare what stays.
            assertThat(resolver.views()).extracting(ResolvedInstances::service, ResolvedInstances::state,
                            ResolvedInstances::lastContact)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("fault", State.UNREACHABLE,
                            stale.lastContact()));
            assertThat(detectMillis).isLessThan(CALL_TIMEOUT.toMillis() + 2_000);

            t0 = System.nanoTime();
            member.start();
            final long startedMillis = millisSince(t0);
            try (Client client = etcd.newClient()) {
                delete(client, DIR + "10.0.0.1:1");
                put(client, DIR + "10.0.0.3:1", goValue("10.0.0.3:1", 10));
            }
            await().atMost(MAX_RECOVERY.plusMillis(startedMillis)).pollInterval(Duration.ofMillis(20))
                    .until(() -> watch.snapshot().state() == State.OK
                            && addresses(watch.snapshot()).equals(List.of("10.0.0.2:1", "10.0.0.3:1")));
            final long recoveredMillis = millisSince(t0);
            System.out.println("etcd restarted with its data: start() took " + startedMillis
                    + " ms; view right (OK, changes after restart seen) " + recoveredMillis + " ms after start()");
            assertThat(watch.snapshot().lastError()).isNull();
            assertThat(watch.snapshot().revision()).isGreaterThan(before.revision());
            assertThat(watch.snapshot().lastContact()).isEqualTo(watch.snapshot().lastUpdate());
            assertThat(watch.snapshot().staleness(java.time.Instant.now())).isEqualTo(Duration.ZERO);

            // And the watch is live again, not just the read.
            t0 = System.nanoTime();
            try (Client client = etcd.newClient()) {
                put(client, DIR + "10.0.0.4:1", goValue("10.0.0.4:1", 10));
            }
            listener.await(u -> u.added().stream().anyMatch(i -> i.address().equals("10.0.0.4:1")));
            System.out.println("after restart, a put reached the listener in " + millisSince(t0) + " ms");
        }
    }

    @Test
    void etcdWipedAndRestarted_revisionGoesBackwards_viewIsRebuilt() throws Exception {
        final EtcdMember member = etcd.cluster().member(0);
        try (Client client = etcd.newClient()) {
            // Push the revision well above what the wiped etcd will reach.
            for (int i = 0; i < 20; i++) {
                put(client, DIR + "10.0.0.1:1", goValue("10.0.0.1:1", 10 + i));
            }
            put(client, DIR + "10.0.0.2:1", goValue("10.0.0.2:1", 10));
        }
        try (EtcdResolver resolver = newResolver(); ServiceWatch watch = resolver.watch("fault");
             LogCapture logs = new LogCapture()) {
            final ResolvedInstances before = firstSync(watch);
            assertThat(addresses(before)).containsExactly("10.0.0.1:1", "10.0.0.2:1");
            assertThat(before.revision()).isGreaterThan(20);

            final long t0 = System.nanoTime();
            member.wipeAndStart();
            final long startedMillis = millisSince(t0);
            try (Client client = etcd.newClient()) {
                put(client, DIR + "10.0.0.5:1", goValue("10.0.0.5:1", 10));
                put(client, DIR + "10.0.0.6:1", goValue("10.0.0.6:1", 10));
            }
            await().atMost(MAX_RECOVERY.plusMillis(startedMillis)).pollInterval(Duration.ofMillis(20))
                    .until(() -> addresses(watch.snapshot()).equals(List.of("10.0.0.5:1", "10.0.0.6:1")));
            System.out.println("etcd wiped: wipeAndStart() took " + startedMillis + " ms; view right "
                    + millisSince(t0) + " ms after the wipe began; revision " + before.revision() + " -> "
                    + watch.snapshot().revision());
            assertThat(watch.snapshot().state()).isEqualTo(State.OK);
            assertThat(watch.snapshot().revision()).isLessThan(before.revision());
            assertThat(logs.messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains("went backwards"));

            // New writes on the new history keep arriving through the watch.
            try (Client client = etcd.newClient()) {
                delete(client, DIR + "10.0.0.5:1");
            }
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> addresses(watch.snapshot()).equals(List.of("10.0.0.6:1")));
        }
    }

    @Test
    void etcdDownAtStart_firstSyncIsUnreachable_thenInstancesArrive() throws Exception {
        final EtcdMember member = etcd.cluster().member(0);
        try (Client client = etcd.newClient()) {
            put(client, DIR + "10.0.0.1:1", goValue("10.0.0.1:1", 10));
        }
        member.stop();
        try (EtcdResolver resolver = newResolver(); ServiceWatch watch = resolver.watch("fault")) {
            final RecordingListener listener = new RecordingListener();
            watch.addListener(listener);
            final ResolvedInstances first = firstSync(watch);
            // Unreachable is not "no instances": the state says which, and there is a reason.
            assertThat(first.state()).isEqualTo(State.UNREACHABLE);
            assertThat(first.instances()).isEmpty();
            assertThat(first.lastError()).isNotNull();
            assertThat(first.lastContact()).as("etcd never answered").isNull();
            assertThat(listener.next().update().current().state()).isEqualTo(State.UNREACHABLE);

            final long t0 = System.nanoTime();
            member.start();
            final ResolverUpdate up = listener.await(u -> u.current().state() == State.OK).update();
            System.out.println("etcd down at start: instances arrived " + millisSince(t0)
                    + " ms after etcd was started");
            assertThat(addresses(up.added())).containsExactly("10.0.0.1:1");
            assertThat(millisSince(t0)).isLessThan(MAX_RECOVERY.toMillis() + 30_000);
        }
    }
}
