package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.ServiceWatch;
import static io.kitex4j.resolver.ResolverTestSupport.addresses;
import static io.kitex4j.resolver.ResolverTestSupport.bytes;
import static io.kitex4j.resolver.ResolverTestSupport.delete;
import static io.kitex4j.resolver.ResolverTestSupport.firstSync;
import static io.kitex4j.resolver.ResolverTestSupport.goValue;
import static io.kitex4j.resolver.ResolverTestSupport.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdConnection;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.resolver.ResolverTestSupport.LogCapture;
import io.kitex4j.resolver.ResolverTestSupport.RecordingListener;
import io.kitex4j.resolver.ResolverTestSupport.RecordingListener.Received;
import io.kitex4j.testing.EtcdExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The watch: changes reach listeners promptly and in order, watches are shared, lifecycle rules. */
class EtcdResolverWatchTest {

    /** A watch event reaches a listener well within this on a loaded 2-core machine (typically ~5 ms). */
    private static final Duration MAX_LATENCY = Duration.ofMillis(500);

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static Client client;
    private EtcdResolver resolver;

    @BeforeAll
    static void connect() {
        client = ETCD.newClient();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @BeforeEach
    void createResolver() {
        resolver = EtcdResolver.builder()
                .etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build())
                .build();
    }

    @AfterEach
    void closeResolver() {
        resolver.close();
    }

    private static long latencyMillis(long beforeWriteNanos, Received received) {
        return TimeUnit.NANOSECONDS.toMillis(received.nanos() - beforeWriteNanos);
    }

    @Test
    void addUpdateRemove_reachTheListenerPromptly() throws Exception {
        final String dir = "kitex/registry-etcd/wlive/";
        put(client, dir + "10.0.0.1:1", goValue("10.0.0.1:1", 10));
        try (ServiceWatch watch = resolver.watch("wlive")) {
            final RecordingListener listener = new RecordingListener();
            watch.addListener(listener);
            final ResolverUpdate initial = listener.next().update();
            assertThat(initial.previous().state()).isEqualTo(State.SYNCING);
            assertThat(initial.current().state()).isEqualTo(State.OK);
            assertThat(addresses(initial.added())).containsExactly("10.0.0.1:1");

            final List<Long> latencies = new ArrayList<>();

            long t0 = System.nanoTime();
            final long rev = put(client, dir + "10.0.0.2:1", goValue("10.0.0.2:1", 10));
            Received r = listener.next();
            latencies.add(latencyMillis(t0, r));
            assertThat(addresses(r.update().added())).containsExactly("10.0.0.2:1");
            assertThat(r.update().removed()).isEmpty();
            assertThat(r.update().updated()).isEmpty();
            assertThat(addresses(r.update().current())).containsExactly("10.0.0.1:1", "10.0.0.2:1");
            assertThat(r.update().current().revision()).isEqualTo(rev);
            assertThat(watch.snapshot()).isSameAs(r.update().current());

            t0 = System.nanoTime();
            put(client, dir + "10.0.0.2:1", goValue("10.0.0.2:1", 30));
            r = listener.next();
            latencies.add(latencyMillis(t0, r));
            assertThat(r.update().updated()).containsExactly(Instance.of("10.0.0.2:1", 30));
            assertThat(r.update().added()).isEmpty();

            // Kitex's DefaultDiff ignores tags; here a tag change is an update too.
            t0 = System.nanoTime();
            put(client, dir + "10.0.0.2:1",
                    "{\"network\":\"tcp\",\"address\":\"10.0.0.2:1\",\"weight\":30,\"tags\":{\"zone\":\"b\"}}");
            r = listener.next();
            latencies.add(latencyMillis(t0, r));
            assertThat(r.update().updated()).containsExactly(Instance.of("10.0.0.2:1", 30, Map.of("zone", "b")));

            // Rewriting the same value changes nothing: no update.
            put(client, dir + "10.0.0.2:1",
                    "{\"network\":\"tcp\",\"address\":\"10.0.0.2:1\",\"weight\":30,\"tags\":{\"zone\":\"b\"}}");

            t0 = System.nanoTime();
            delete(client, dir + "10.0.0.1:1");
            r = listener.next();
            latencies.add(latencyMillis(t0, r));
            assertThat(addresses(r.update().removed())).containsExactly("10.0.0.1:1");
            assertThat(addresses(watch.snapshot())).containsExactly("10.0.0.2:1");

            System.out.println("Watch latency, write to listener (add, update, tag update, remove): "
                    + latencies + " ms");
            assertThat(latencies).allSatisfy(ms -> assertThat(ms).isLessThan(MAX_LATENCY.toMillis()));
        }
    }

    @Test
    void watchesOfOneServiceShareOneEtcdWatch() throws Exception {
        put(client, "kitex/registry-etcd/wshare/10.0.0.1:1", goValue("10.0.0.1:1", 10));
        final ServiceWatch a = resolver.watch("wshare");
        final ServiceWatch b = resolver.watch("wshare");
        assertThat(a).isNotSameAs(b);
        assertThat(firstSync(a).instances()).hasSize(1);
        assertThat(firstSync(b)).isSameAs(firstSync(a));
        await().atMost(Duration.ofSeconds(5)).until(() -> resolver.etcdWatchesStarted.get() >= 1);
        assertThat(resolver.etcdWatchesStarted.get()).isEqualTo(1);
        assertThat(resolver.watchedServiceCount()).isEqualTo(1);

        // Closing one reference keeps the watch alive for the other.
        a.close();
        a.close(); // idempotent
        final RecordingListener listener = new RecordingListener();
        b.addListener(listener);
        listener.next();
        put(client, "kitex/registry-etcd/wshare/10.0.0.2:1", goValue("10.0.0.2:1", 10));
        assertThat(addresses(listener.next().update().added())).containsExactly("10.0.0.2:1");
        assertThatThrownBy(() -> a.addListener(u -> { })).isInstanceOf(IllegalStateException.class);

        // Another service is another watch.
        try (ServiceWatch other = resolver.watch("wshare2")) {
            firstSync(other);
            await().atMost(Duration.ofSeconds(5)).until(() -> resolver.etcdWatchesStarted.get() == 2);
            assertThat(resolver.watchedServiceCount()).isEqualTo(2);
        }

        // The last reference closed ends the etcd watch; watching again starts a new one.
        b.close();
        assertThat(resolver.watchedServiceCount()).isZero();
        put(client, "kitex/registry-etcd/wshare/10.0.0.3:1", goValue("10.0.0.3:1", 10));
        listener.assertNothingWithin(Duration.ofMillis(300));
        try (ServiceWatch c = resolver.watch("wshare")) {
            assertThat(addresses(firstSync(c))).containsExactly("10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1");
            // The etcd watch starts right after the read that completed firstSync.
            await().atMost(Duration.ofSeconds(5)).until(() -> resolver.etcdWatchesStarted.get() == 3);
        }
    }

    @Test
    void snapshotAndFirstSync() throws Exception {
        put(client, "kitex/registry-etcd/wfirst/10.0.0.1:1", goValue("10.0.0.1:1", 10));
        try (ServiceWatch watch = resolver.watch("wfirst")) {
            // Never blocks: SYNCING (empty) or already synced.
            final ResolvedInstances early = watch.snapshot();
            assertThat(early.state()).isIn(State.SYNCING, State.OK);
            assertThat(watch.service()).isEqualTo("wfirst");

            final ResolvedInstances first = firstSync(watch);
            assertThat(first.state()).isEqualTo(State.OK);
            assertThat(first.service()).isEqualTo("wfirst");
            assertThat(first.lastUpdate()).isNotNull();
            assertThat(watch.snapshot()).isSameAs(first);
        }
        final ServiceWatch closed = resolver.watch("wfirst-never");
        closed.close();
        assertThat(closed.firstSync()).isCancelled();
        assertThatThrownBy(() -> closed.firstSync().join()).isInstanceOf(CancellationException.class);
    }

    @Test
    void transactionWithSeveralKeys_allApplied() throws Exception {
        try (ServiceWatch watch = resolver.watch("wtxn")) {
            assertThat(firstSync(watch).state()).isEqualTo(State.NO_INSTANCES);
            final RecordingListener listener = new RecordingListener();
            watch.addListener(listener);
            listener.next();

            // Three puts in one revision: the events share a mod revision and must all be applied.
            client.getKVClient().txn().Then(
                    Op.put(bytes("kitex/registry-etcd/wtxn/10.0.0.1:1"), bytes(goValue("10.0.0.1:1", 10)), PutOption.DEFAULT),
                    Op.put(bytes("kitex/registry-etcd/wtxn/10.0.0.2:1"), bytes(goValue("10.0.0.2:1", 10)), PutOption.DEFAULT),
                    Op.put(bytes("kitex/registry-etcd/wtxn/10.0.0.3:1"), bytes(goValue("10.0.0.3:1", 10)), PutOption.DEFAULT))
                    .commit().get(10, TimeUnit.SECONDS);

            final ResolverUpdate u = listener.next().update();
            assertThat(addresses(u.added())).containsExactly("10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1");
            assertThat(u.current().state()).isEqualTo(State.OK);
            assertThat(u.previous().state()).isEqualTo(State.NO_INSTANCES);
        }
    }

    @Test
    void invalidValueOverAValidOne_removesTheInstance_andWarns() throws Exception {
        final String key = "kitex/registry-etcd/wbad/10.0.0.1:1";
        put(client, key, goValue("10.0.0.1:1", 10));
        put(client, "kitex/registry-etcd/wbad/10.0.0.2:1", goValue("10.0.0.2:1", 10));
        try (ServiceWatch watch = resolver.watch("wbad"); LogCapture logs = new LogCapture()) {
            firstSync(watch);
            final RecordingListener listener = new RecordingListener();
            watch.addListener(listener);
            listener.next();

            put(client, key, "{\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":\"10\"}");
            final ResolverUpdate u = listener.next().update();
            assertThat(addresses(u.removed())).containsExactly("10.0.0.1:1");
            assertThat(addresses(watch.snapshot())).containsExactly("10.0.0.2:1");
            assertThat(logs.messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains("'" + key + "'"));
        }
    }

    @Test
    void listenersAreCalledInOrder_andAFailingListenerDoesNotStopOthers() throws Exception {
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try (EtcdResolver pooled = EtcdResolver.builder()
                .etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build())
                .listenerExecutor(pool)
                .build();
             ServiceWatch watch = pooled.watch("worder")) {
            firstSync(watch);
            final List<Long> seen = new CopyOnWriteArrayList<>();
            watch.addListener(u -> {
                throw new IllegalStateException("listener failure on purpose");
            });
            watch.addListener(u -> seen.add(u.current().revision()));
            final List<Long> written = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                written.add(put(client, "kitex/registry-etcd/worder/10.0.0.1:1", goValue("10.0.0.1:1", i + 1)));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty()
                    && seen.get(seen.size() - 1).equals(written.get(written.size() - 1)));
            // The first update is the initial view; after it, revisions only increase, whatever
            // pool thread ran each call.
            assertThat(seen).isSorted();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void removedListenerIsNotCalled_andClosedResolverRefusesWatches() throws Exception {
        final ServiceWatch watch = resolver.watch("wremove");
        firstSync(watch);
        final RecordingListener listener = new RecordingListener();
        watch.addListener(listener);
        listener.next();
        watch.removeListener(listener);
        put(client, "kitex/registry-etcd/wremove/10.0.0.1:1", goValue("10.0.0.1:1", 10));
        await().atMost(Duration.ofSeconds(5)).until(() -> watch.snapshot().instances().size() == 1);
        listener.assertNothingWithin(Duration.ofMillis(200));

        resolver.close();
        resolver.close(); // idempotent
        assertThatThrownBy(() -> resolver.watch("wremove")).isInstanceOf(IllegalStateException.class);
        // The snapshot stays readable, frozen.
        assertThat(addresses(watch.snapshot())).containsExactly("10.0.0.1:1");
        watch.close();
    }

    @Test
    void sharedConnectionIsUsed_andNotClosed() throws Exception {
        put(client, "kitex/registry-etcd/wclient/10.0.0.1:1", goValue("10.0.0.1:1", 10));
        try (EtcdConnection own = EtcdConnection.of(EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build())) {
            try (EtcdResolver shared = EtcdResolver.builder().connection(own).build();
                 ServiceWatch watch = shared.watch("wclient")) {
                assertThat(addresses(firstSync(watch))).containsExactly("10.0.0.1:1");
            }
            // Still usable after the resolver closed.
            assertThat(own.isClosed()).isFalse();
            assertThat(own.client().getKVClient().get(bytes("kitex/registry-etcd/wclient/10.0.0.1:1"))
                    .get(5, TimeUnit.SECONDS).getCount()).isEqualTo(1);
            assertThatThrownBy(() -> EtcdResolver.builder().connection(own)
                    .etcd(EtcdClientConfig.of("http://127.0.0.1:1")).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageEndingWith("(expected: exactly one)");
        }
        assertThatThrownBy(() -> EtcdResolver.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("etcd: required (expected: ");
    }

    @Test
    void jetcdReportsAWatchFromACompactedRevisionAsCompactedExceptionThenCompletion() throws Exception {
        // The resolver never resumes a watch from an old revision (it reads the range again), but
        // a watch started right after a read can still meet a compaction. This pins down how jetcd
        // 0.8.5 reports it (an error, then completion, no resume), which the resolver relies on.
        final String dir = "kitex/registry-etcd/wcompact/";
        final long r1 = put(client, dir + "a", "1");
        final long r2 = put(client, dir + "a", "2");
        client.getKVClient().compact(r2, CompactOption.builder().withCompactPhysical(true).build())
                .get(10, TimeUnit.SECONDS);
        final BlockingQueue<Object> signals = new LinkedBlockingQueue<>();
        final Watch.Watcher watcher = client.getWatchClient().watch(bytes(dir),
                WatchOption.builder().isPrefix(true).withRevision(r1).build(),
                Watch.listener(signals::add, signals::add, () -> signals.add("completed")));
        try {
            final Object first = signals.poll(10, TimeUnit.SECONDS);
            assertThat(first).isInstanceOf(CompactedException.class);
            assertThat(((CompactedException) first).getCompactedRevision()).isEqualTo(r2);
            assertThat(signals.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");
            assertThat(signals.poll(700, TimeUnit.MILLISECONDS)).as("no resume after a compaction").isNull();
            assertThat(watcher.isClosed()).isTrue();
        } finally {
            watcher.close();
        }
    }

    @Test
    void resolverWideListenerSeesEveryServiceUntilRemoved_andViewsListTheWatches() throws Exception {
        put(client, "kitex/registry-etcd/wide1/10.0.0.1:1", goValue("10.0.0.1:1", 10));
        final RecordingListener wide = new RecordingListener();
        resolver.addListener(wide);
        assertThat(resolver.views()).isEmpty();
        try (ServiceWatch one = resolver.watch("wide1"); ServiceWatch two = resolver.watch("wide2")) {
            // The two watches sync concurrently: their first updates may come in either order.
            ResolverUpdate first = null;
            ResolverUpdate second = null;
            while (first == null || second == null) {
                final ResolverUpdate u = wide.next().update();
                if (u.current().service().equals("wide1") && first == null) {
                    first = u;
                } else if (u.current().service().equals("wide2") && u.current().state() == State.NO_INSTANCES) {
                    second = u;
                }
            }
            assertThat(first.previous().state()).isEqualTo(State.SYNCING);
            assertThat(addresses(first.added())).containsExactly("10.0.0.1:1");
            assertThat(second.previous().state()).isEqualTo(State.SYNCING);
            assertThat(resolver.views()).extracting(v -> v.service()).containsExactly("wide1", "wide2");
            assertThat(resolver.views().get(0)).isSameAs(one.snapshot());
            assertThat(resolver.view("wide1")).isSameAs(one.snapshot());
            assertThat(resolver.view("wide2")).isSameAs(two.snapshot());
            assertThat(resolver.view("not-watched")).isNull();
            assertThat(one.snapshot().lastContact()).isEqualTo(one.snapshot().lastUpdate());
            assertThat(resolver.watchReconnects("wide1")).isZero();

            resolver.removeListener(wide);
            put(client, "kitex/registry-etcd/wide1/10.0.0.2:1", goValue("10.0.0.2:1", 10));
            await().atMost(Duration.ofSeconds(5)).until(() -> one.snapshot().instances().size() == 2);
            // The update went to nobody: a listener of the watch would have seen it first.
            final RecordingListener check = new RecordingListener();
            one.addListener(check);
            check.next();
            assertThat(wide.queue).noneMatch(r -> r.update().current().instances().size() == 2);
        }
        assertThat(resolver.views()).isEmpty();
        assertThat(resolver.view("wide1")).isNull();
    }
}
