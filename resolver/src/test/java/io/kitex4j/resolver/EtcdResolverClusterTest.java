package io.kitex4j.resolver;

import io.kitex4j.registry.EtcdRegistration;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ServiceWatch;
import static io.kitex4j.resolver.ResolverTestSupport.addresses;
import static io.kitex4j.resolver.ResolverTestSupport.bytes;
import static io.kitex4j.resolver.ResolverTestSupport.delete;
import static io.kitex4j.resolver.ResolverTestSupport.firstSync;
import static io.kitex4j.resolver.ResolverTestSupport.goValue;
import static io.kitex4j.resolver.ResolverTestSupport.put;
import static io.kitex4j.resolver.ResolverTestSupport.putRetrying;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.CompactOption;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.resolver.ResolverTestSupport.LogCapture;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A 3-member cluster: the leader killed under a registration and watches; compaction during a disconnect. */
class EtcdResolverClusterTest {

    /** From the fault to the resolver's view being right; an election is ~1-2 s. */
    private static final Duration MAX_RECOVERY = Duration.ofSeconds(15);

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.threeMemberCluster();

    private static EtcdClientConfig config(List<String> endpoints) {
        return EtcdClientConfig.builder().endpoints(endpoints).build();
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    @Test
    void leaderKilled_registrationStays_andWatchesStayRight() throws Exception {
        final EtcdCluster cluster = ETCD.cluster();
        final EtcdMember leader = cluster.leader();
        try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config(cluster.endpoints())).build();
             EtcdResolver all = EtcdResolver.builder().etcd(config(cluster.endpoints())).build();
             // Pinned to the leader: its watch and reads must fail and come back with the member.
             EtcdResolver pinned = EtcdResolver.builder().etcd(config(List.of(leader.clientEndpoint())))
                     .callTimeout(Duration.ofSeconds(1)).build();
             ServiceWatch allWatch = all.watch("clkill");
             ServiceWatch pinnedWatch = pinned.watch("clkill");
             Client client = ETCD.newClient()) {
            try {
                leaderKilled(leader, registry, allWatch, pinnedWatch, client);
            } finally {
                if (!leader.isRunning()) {
                    leader.start(); // leave a full cluster to the other tests
                }
            }
        }
    }

    private static void leaderKilled(EtcdMember leader, EtcdRegistry registry, ServiceWatch allWatch,
            ServiceWatch pinnedWatch, Client client) throws Exception {
        final Registration registration =
                registry.register(RegistrationInfo.of("clkill", "10.1.2.3:8888")).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> addresses(allWatch.snapshot()).equals(List.of("10.1.2.3:8888"))
                && addresses(pinnedWatch.snapshot()).equals(List.of("10.1.2.3:8888")));
        final long leaseBefore = ((EtcdRegistration) registration).leaseId();

        final long killed = System.nanoTime();
        leader.kill();
        // The resolver pinned to the dead leader serves its last known list, marked stale.
        await().atMost(MAX_RECOVERY).until(() -> pinnedWatch.snapshot().state() == State.UNREACHABLE);
        final long staleMillis = millisSince(killed);
        assertThat(addresses(pinnedWatch.snapshot())).containsExactly("10.1.2.3:8888");
        assertThat(pinnedWatch.snapshot().lastError()).isNotNull();

        // A write made after the kill, once a new leader accepts it, reaches the resolver on all members.
        putRetrying(client, "kitex/registry-etcd/clkill/10.1.2.4:8888", goValue("10.1.2.4:8888", 10), MAX_RECOVERY);
        final long written = System.nanoTime();
        await().atMost(MAX_RECOVERY).pollInterval(Duration.ofMillis(10))
                .until(() -> addresses(allWatch.snapshot()).equals(List.of("10.1.2.3:8888", "10.1.2.4:8888")));
        final long seenMillis = millisSince(written);
        assertThat(allWatch.snapshot().state()).isEqualTo(State.OK);

        // The registration is still (or again) in etcd, under the lease it reports.
        await().atMost(MAX_RECOVERY).until(() -> registration.state() == RegistrationState.REGISTERED);
        final List<KeyValue> kvs = client.getKVClient().get(bytes(registration.key()))
                .get(10, TimeUnit.SECONDS).getKvs();
        assertThat(kvs).hasSize(1);
        assertThat(kvs.get(0).getLease()).isEqualTo(((EtcdRegistration) registration).leaseId());
        System.out.println("leader " + leader.name() + " killed: resolver pinned to it UNREACHABLE after "
                + staleMillis + " ms; first write accepted by the new leader after "
                + TimeUnit.NANOSECONDS.toMillis(written - killed) + " ms; resolver on all members saw it "
                + seenMillis + " ms later; registration " + registration.state() + ", lease "
                + (((EtcdRegistration) registration).leaseId() == leaseBefore ? "unchanged" : "re-granted"));
        assertThat(seenMillis).isLessThan(2_000);

        final long restarted = System.nanoTime();
        leader.start();
        await().atMost(MAX_RECOVERY).pollInterval(Duration.ofMillis(20))
                .until(() -> pinnedWatch.snapshot().state() == State.OK
                        && addresses(pinnedWatch.snapshot()).equals(List.of("10.1.2.3:8888", "10.1.2.4:8888")));
        System.out.println("killed member restarted: pinned resolver right " + millisSince(restarted)
                + " ms after start() was called");

        // Both watches are live: a deregistration reaches both.
        registration.deregister().get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> addresses(allWatch.snapshot()).equals(List.of("10.1.2.4:8888"))
                        && addresses(pinnedWatch.snapshot()).equals(List.of("10.1.2.4:8888")));
    }

    @Test
    void compactionDuringADisconnect_resyncs() throws Exception {
        final EtcdCluster cluster = ETCD.cluster();
        final EtcdMember leader = cluster.leader();
        final EtcdMember follower = cluster.members().stream().filter(m -> m != leader && m.isRunning())
                .findFirst().orElseThrow();
        final String dir = "kitex/registry-etcd/clcompact/";
        try (Client client = ETCD.newClient()) {
            put(client, dir + "10.0.0.1:1", goValue("10.0.0.1:1", 10));
            put(client, dir + "10.0.0.2:1", goValue("10.0.0.2:1", 10));
        }
        try (EtcdResolver resolver = EtcdResolver.builder().etcd(config(List.of(follower.clientEndpoint())))
                     .callTimeout(Duration.ofSeconds(1)).build();
             ServiceWatch watch = resolver.watch("clcompact");
             LogCapture logs = new LogCapture()) {
            final long seen = firstSync(watch).revision();

            follower.stop();
            try {
                compactWhileDisconnected(follower, watch, logs, dir, seen);
            } finally {
                if (!follower.isRunning()) {
                    follower.start();
                }
            }
        }
    }

    private static void compactWhileDisconnected(EtcdMember follower, ServiceWatch watch, LogCapture logs,
            String dir, long seen) throws Exception {
        final long compactedAt;
        try (Client others = ETCD.newClient()) {
            delete(others, dir + "10.0.0.1:1");
            put(others, dir + "10.0.0.3:1", goValue("10.0.0.3:1", 10));
            put(others, dir + "10.0.0.3:1", goValue("10.0.0.3:1", 20));
            compactedAt = put(others, "unrelated", "x");
            others.getKVClient().compact(compactedAt, CompactOption.builder().withCompactPhysical(true).build())
                    .get(10, TimeUnit.SECONDS);
        }
        // Resuming the watch from seen + 1 is no longer possible.
        assertThat(compactedAt).isGreaterThan(seen + 1);
        await().atMost(MAX_RECOVERY).until(() -> watch.snapshot().isStale());

        final long t0 = System.nanoTime();
        follower.start();
        await().atMost(MAX_RECOVERY).pollInterval(Duration.ofMillis(20))
                .until(() -> watch.snapshot().state() == State.OK
                        && addresses(watch.snapshot()).equals(List.of("10.0.0.2:1", "10.0.0.3:1")));
        System.out.println("compaction during a disconnect: view right " + millisSince(t0)
                + " ms after the member was started; revision " + seen + " -> " + watch.snapshot().revision()
                + " (compacted at " + compactedAt + ")");
        assertThat(watch.snapshot().instances().get(1).weight()).isEqualTo(20);
        assertThat(watch.snapshot().revision()).isGreaterThanOrEqualTo(compactedAt);
        assertThat(logs.messages(Level.INFO)).anySatisfy(m -> assertThat(m).contains("reading it again"));
    }
}
