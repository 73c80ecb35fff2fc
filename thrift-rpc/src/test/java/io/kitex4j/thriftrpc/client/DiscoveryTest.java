package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ClientClosedException;
import io.kitex4j.core.NoInstanceException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The client against a resolver the test drives by hand. */
@ExtendWith(NettyLeakDetection.class)
class DiscoveryTest {

    /** A resolver whose single watch reports what the test pushes. */
    static final class ManualResolver implements Resolver {
        final List<ManualWatch> watches = new CopyOnWriteArrayList<>();

        @Override
        public ServiceWatch watch(String service) {
            final ManualWatch w = new ManualWatch(service);
            watches.add(w);
            return w;
        }

        @Override
        public void close() {}
    }

    static final class ManualWatch implements ServiceWatch {
        final String service;
        final List<ResolverListener> listeners = new CopyOnWriteArrayList<>();
        final CompletableFuture<ResolvedInstances> first = new CompletableFuture<>();
        volatile ResolvedInstances view;
        volatile boolean closed;
        private long revision;

        ManualWatch(String service) {
            this.service = service;
            this.view = new ResolvedInstances(service, List.of(), 0, State.SYNCING, null, Instant.now());
        }

        synchronized void push(State state, List<Instance> instances, Throwable error) {
            final ResolvedInstances previous = view;
            final ResolvedInstances current = new ResolvedInstances(service, instances, ++revision, state, error,
                    Instant.now());
            view = current;
            final List<Instance> added = instances.stream()
                    .filter(i -> previous.instances().stream().noneMatch(p -> p.address().equals(i.address()))).toList();
            final List<Instance> removed = previous.instances().stream()
                    .filter(p -> instances.stream().noneMatch(i -> i.address().equals(p.address()))).toList();
            final ResolverUpdate update = new ResolverUpdate(previous, current, added, removed, List.of());
            listeners.forEach(l -> l.onUpdate(update));
            first.complete(current);
        }

        void push(String... addresses) {
            push(addresses.length == 0 ? State.NO_INSTANCES : State.OK,
                    java.util.Arrays.stream(addresses).map(a -> Instance.of(a, 10)).toList(), null);
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
            return first;
        }

        @Override
        public void addListener(ResolverListener listener) {
            listeners.add(listener);
        }

        @Override
        public void removeListener(ResolverListener listener) {
            listeners.remove(listener);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private ScriptedServer a;
    private ScriptedServer b;
    private final ManualResolver resolver = new ManualResolver();
    private KitexClient client;

    private static ScriptedServer named(String name) throws InterruptedException {
        return new ScriptedServer((ctx, req) -> ScriptedServer.reply(ctx, req,
                new InteropService.echoString_result().setSuccess(name)));
    }

    @BeforeEach
    void setUp() throws Exception {
        a = named("a");
        b = named("b");
        client = KitexClient.builder().service("interop").resolver(resolver).build();
    }

    @AfterEach
    void tearDown() {
        client.close();
        a.close();
        b.close();
    }

    private ManualWatch watch() {
        assertThat(resolver.watches).hasSize(1);
        return resolver.watches.get(0);
    }

    @Test
    void callsWaitForTheFirstAnswerAndFollowChanges() throws Exception {
        assertThat(watch().service).isEqualTo("interop");
        final CompletableFuture<String> early = client.async(InteropService.Iface.class).call(i -> i.echoString(""));
        // Before the resolver's first answer the call waits (and does not fail).
        await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> !early.isDone());
        watch().push(a.address());
        assertThat(early.get(5, TimeUnit.SECONDS)).isEqualTo("a");

        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        watch().push(a.address(), b.address());
        final java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) {
            seen.add(stub.echoString(""));
        }
        assertThat(seen).containsExactlyInAnyOrder("a", "b");

        // Removed: its idle connections are closed, and calls go elsewhere.
        watch().push(b.address());
        await().atMost(Duration.ofSeconds(5)).until(() -> a.openConnections() == 0);
        for (int i = 0; i < 5; i++) {
            assertThat(stub.echoString("")).isEqualTo("b");
        }
    }

    @Test
    void noInstanceFailsFast() throws Exception {
        watch().push();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString(""))
                .isInstanceOf(NoInstanceException.class)
                .hasMessage("no instance for service 'interop': no instance remains for interop");
        watch().push(State.UNREACHABLE, List.of(), new IOException("etcd down"));
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString(""))
                .isInstanceOf(NoInstanceException.class)
                .hasMessageContaining("etcd is unreachable (java.io.IOException: etcd down)");
    }

    @Test
    void staleInstancesAreStillUsed() throws Exception {
        watch().push(State.UNREACHABLE, List.of(Instance.of(a.address(), 10)), new IOException("etcd down"));
        assertThat(client.stub(InteropService.Iface.class).echoString("")).isEqualTo("a");
    }

    @Test
    void variantsShareTheWatchesAndTheLastClientClosesThem() {
        final KitexClient variant = client.newBuilder().rpcTimeout(Duration.ofSeconds(1)).build();
        final KitexClient other = client.newBuilder().service("other").build();
        assertThat(resolver.watches).hasSize(2);
        assertThat(variant.endpoints()).isSameAs(client.endpoints());
        variant.close();
        client.close();
        assertThat(resolver.watches).noneMatch(w -> w.closed);
        other.close();
        assertThat(resolver.watches).allMatch(w -> w.closed);
        assertThatThrownBy(() -> other.stub(InteropService.Iface.class).echoString(""))
                .isInstanceOf(ClientClosedException.class);
    }
}
