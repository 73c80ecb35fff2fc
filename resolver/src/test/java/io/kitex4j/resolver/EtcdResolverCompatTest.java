package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.ServiceWatch;
import static io.kitex4j.resolver.ResolverTestSupport.addresses;
import static io.kitex4j.resolver.ResolverTestSupport.firstSync;
import static io.kitex4j.resolver.ResolverTestSupport.goValue;
import static io.kitex4j.resolver.ResolverTestSupport.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.Client;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.resolver.ResolverTestSupport.LogCapture;
import io.kitex4j.testing.EtcdExtension;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The spec's compatibility cases: keys and values exactly as Go's registry-etcd (and Hertz) write
 * them, read by {@link EtcdResolver}. Each test uses its own service names, so they share one etcd.
 */
class EtcdResolverCompatTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static Client client;

    @BeforeAll
    static void connect() {
        client = ETCD.newClient();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    private static EtcdResolver resolver(UnaryOperator<EtcdResolver.Builder> customize) {
        return customize.apply(EtcdResolver.builder()
                .etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build())).build();
    }

    private static ResolvedInstances resolve(String service, UnaryOperator<EtcdResolver.Builder> customize)
            throws Exception {
        try (EtcdResolver resolver = resolver(customize); ServiceWatch watch = resolver.watch(service)) {
            return firstSync(watch);
        }
    }

    private static ResolvedInstances resolve(String service) throws Exception {
        return resolve(service, b -> b);
    }

    // Spec case 5, default prefix: what a Go server registers is found; echo2 is not echo.
    @Test
    void case5_defaultPrefix_findsGoRegistrations_andNotEcho2() throws Exception {
        put(client, "kitex/registry-etcd/c5echo/10.0.0.5:8888", goValue("10.0.0.5:8888", 10));
        put(client, "kitex/registry-etcd/c5echo/10.0.0.6:8888",
                "{\"network\":\"tcp\",\"address\":\"10.0.0.6:8888\",\"weight\":20,\"tags\":{\"cluster\":\"a\\u0026b\",\"zone\":\"z1\"}}");
        put(client, "kitex/registry-etcd/c5echo2/10.0.0.7:8888", goValue("10.0.0.7:8888", 10));

        final ResolvedInstances view = resolve("c5echo");

        assertThat(view.state()).isEqualTo(State.OK);
        assertThat(view.lastError()).isNull();
        assertThat(view.isStale()).isFalse();
        assertThat(view.instances()).containsExactly(
                new Instance("tcp", "10.0.0.5:8888", 10, Map.of()),
                new Instance("tcp", "10.0.0.6:8888", 20, Map.of("cluster", "a&b", "zone", "z1")));
        assertThat(view.revision()).isPositive();
        assertThat(resolve("c5echo2").instances()).extracting(Instance::address).containsExactly("10.0.0.7:8888");
    }

    // Spec case 5, custom prefix etcd/v1 (registry-etcd's TestEtcdResolverWithEtcdPrefix).
    @Test
    void case5_customPrefix() throws Exception {
        put(client, "etcd/v1/c5p/10.0.0.5:8888", goValue("10.0.0.5:8888", 10));
        put(client, "kitex/registry-etcd/c5p/10.9.9.9:8888", goValue("10.9.9.9:8888", 10));

        assertThat(addresses(resolve("c5p", b -> b.prefix("etcd/v1")))).containsExactly("10.0.0.5:8888");
        assertThat(addresses(resolve("c5p"))).containsExactly("10.9.9.9:8888");
    }

    // Spec case 6: Go's WithAuth constructors write /<service>/<addr>; prefix "" reads them.
    @Test
    void case6_emptyPrefix_readsLeadingSlashKeys() throws Exception {
        put(client, "/c6echo/10.0.0.5:8888", goValue("10.0.0.5:8888", 10));

        assertThat(addresses(resolve("c6echo", b -> b.prefix("")))).containsExactly("10.0.0.5:8888");
        assertThat(resolve("c6echo").state()).isEqualTo(State.NO_INSTANCES);
    }

    // Spec case 7: garbage next to a valid value; a WARN names the garbage key.
    @Test
    void case7_garbageIsSkippedWithAWarningNamingTheKey() throws Exception {
        put(client, "kitex/registry-etcd/c7echo/10.0.0.1:8888", "this is not json");
        put(client, "kitex/registry-etcd/c7echo/10.0.0.2:8888", goValue("10.0.0.2:8888", 10));
        put(client, "kitex/registry-etcd/c7only/10.0.0.3:8888", "{\"network\":");

        try (LogCapture logs = new LogCapture()) {
            assertThat(addresses(resolve("c7echo"))).containsExactly("10.0.0.2:8888");
            // Only garbage: Go's resolver returns an error; here, the service has no instance.
            final ResolvedInstances only = resolve("c7only");
            assertThat(only.state()).isEqualTo(State.NO_INSTANCES);
            assertThat(only.instances()).isEmpty();

            assertThat(logs.messages(Level.WARN))
                    .anySatisfy(m -> assertThat(m).contains("'kitex/registry-etcd/c7echo/10.0.0.1:8888'"))
                    .anySatisfy(m -> assertThat(m).contains("'kitex/registry-etcd/c7only/10.0.0.3:8888'"))
                    .noneSatisfy(m -> assertThat(m).contains("c7echo/10.0.0.2"));
        }
    }

    // Spec case 8: Go's Unmarshal matches field names case-insensitively.
    @Test
    void case8_uppercaseFieldNames() throws Exception {
        put(client, "kitex/registry-etcd/c8echo/10.0.0.5:8888",
                "{\"Network\":\"tcp\",\"Address\":\"10.0.0.5:8888\",\"Weight\":5,\"Tags\":{\"K\":\"v\"}}");

        assertThat(resolve("c8echo").instances())
                .containsExactly(new Instance("tcp", "10.0.0.5:8888", 5, Map.of("K", "v")));
    }

    // Spec case 3, read side: a weight Go cannot read as an int makes Go skip the instance.
    @Test
    void nonIntegerWeightsAreSkipped() throws Exception {
        put(client, "kitex/registry-etcd/cwt/10.0.0.1:1", "{\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":7.0}");
        put(client, "kitex/registry-etcd/cwt/10.0.0.2:1", "{\"network\":\"tcp\",\"address\":\"10.0.0.2:1\",\"weight\":\"7\"}");
        put(client, "kitex/registry-etcd/cwt/10.0.0.3:1", "{\"network\":\"tcp\",\"address\":\"10.0.0.3:1\",\"weight\":1e1}");
        put(client, "kitex/registry-etcd/cwt/10.0.0.4:1", "{\"network\":\"tcp\",\"address\":\"10.0.0.4:1\",\"weight\":7}");

        try (LogCapture logs = new LogCapture()) {
            assertThat(resolve("cwt").instances()).containsExactly(Instance.of("10.0.0.4:1", 7));
            assertThat(logs.messages(Level.WARN)).hasSize(3);
        }
    }

    // Spec case 2, read side: weight <= 0 reads as the default weight; WithDefaultWeight(0) keeps it.
    @Test
    void weightZeroOrNegativeReadsAsDefaultWeight() throws Exception {
        put(client, "kitex/registry-etcd/cw0/10.0.0.1:1", goValue("10.0.0.1:1", 0));
        put(client, "kitex/registry-etcd/cw0/10.0.0.2:1", goValue("10.0.0.2:1", -5));
        put(client, "kitex/registry-etcd/cw0/10.0.0.3:1", "{\"network\":\"tcp\",\"address\":\"10.0.0.3:1\"}");
        put(client, "kitex/registry-etcd/cw0/10.0.0.4:1", goValue("10.0.0.4:1", 3));

        assertThat(resolve("cw0").instances()).extracting(Instance::weight).containsExactly(10, 10, 10, 3);
        assertThat(resolve("cw0", b -> b.defaultWeight(7)).instances())
                .extracting(Instance::weight).containsExactly(7, 7, 7, 3);
        assertThat(resolve("cw0", b -> b.defaultWeight(0)).instances())
                .extracting(Instance::weight).containsExactly(0, -5, 0, 3);
        assertThat(resolve("cw0", b -> b.defaultWeight(-1)).instances())
                .extracting(Instance::weight).containsExactly(0, -5, 0, 3);
    }

    // Spec case 4, read side: Go escapes & as \u0026; tags null is no tags.
    @Test
    void goEscapedTagsAndNullTags() throws Exception {
        put(client, "kitex/registry-etcd/ctag/10.0.0.1:1",
                "{\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":10,\"tags\":{\"cluster\":\"a\\u0026b\",\"h\":\"\\u003cx\\u003e\"}}");
        put(client, "kitex/registry-etcd/ctag/10.0.0.2:1", goValue("10.0.0.2:1", 10));

        final List<Instance> instances = resolve("ctag").instances();
        assertThat(instances.get(0).tag("cluster")).isEqualTo("a&b");
        assertThat(instances.get(0).tag("h")).isEqualTo("<x>");
        assertThat(instances.get(1).tags()).isEmpty();
    }

    // Checklist 10: the address comes from the value, never the key; no dedup; etcd key order.
    @Test
    void addressFromValue_noDedup_keyOrder() throws Exception {
        put(client, "kitex/registry-etcd/caddr/10.0.0.9:1", goValue("10.0.0.1:1", 10));
        put(client, "kitex/registry-etcd/caddr/10.0.0.10:1", goValue("10.0.0.1:1", 20));
        put(client, "kitex/registry-etcd/caddr/whatever", goValue("10.0.0.3:3", 10));

        final List<Instance> instances = resolve("caddr").instances();
        // Byte order of keys: "10.0.0.10:1" < "10.0.0.9:1" < "whatever".
        assertThat(instances).extracting(Instance::address).containsExactly("10.0.0.1:1", "10.0.0.1:1", "10.0.0.3:3");
        assertThat(instances).extracting(Instance::weight).containsExactly(20, 10, 10);
    }

    // Spec case 13: remove all -> NO_INSTANCES (etcd answered), not UNREACHABLE; and back.
    @Test
    void case13_removeAll_isNoInstances_notUnreachable() throws Exception {
        put(client, "kitex/registry-etcd/c13/10.0.0.1:1", goValue("10.0.0.1:1", 10));
        put(client, "kitex/registry-etcd/c13/10.0.0.2:1", goValue("10.0.0.2:1", 10));
        try (EtcdResolver resolver = resolver(b -> b); ServiceWatch watch = resolver.watch("c13")) {
            assertThat(firstSync(watch).instances()).hasSize(2);
            final ResolverTestSupport.RecordingListener listener = new ResolverTestSupport.RecordingListener();
            watch.addListener(listener);
            listener.next(); // the initial view

            ResolverTestSupport.deletePrefix(client, "kitex/registry-etcd/c13/");
            final ResolverUpdate gone = listener.await(u -> u.current().state() == State.NO_INSTANCES).update();

            assertThat(gone.removed()).extracting(Instance::address).containsExactlyInAnyOrder("10.0.0.1:1", "10.0.0.2:1");
            assertThat(watch.snapshot().state()).isEqualTo(State.NO_INSTANCES);
            assertThat(watch.snapshot().instances()).isEmpty();
            assertThat(watch.snapshot().lastError()).isNull();
            assertThat(watch.snapshot().isStale()).isFalse();

            put(client, "kitex/registry-etcd/c13/10.0.0.3:1", goValue("10.0.0.3:1", 10));
            final ResolverUpdate back = listener.await(u -> u.current().state() == State.OK).update();
            assertThat(back.added()).extracting(Instance::address).containsExactly("10.0.0.3:1");
        }
    }

    // Spec case 16: Go writes IPv6 without brackets; it is read as host fd00::1, port 8888.
    @Test
    void case16_goUnbracketedIpv6() throws Exception {
        put(client, "kitex/registry-etcd/c16/fd00::1:8888", goValue("fd00::1:8888", 10));
        put(client, "kitex/registry-etcd/c16/[fd00::2]:8888", goValue("[fd00::2]:8888", 10));

        final List<Instance> instances = resolve("c16").instances();
        assertThat(instances).extracting(Instance::address).containsExactly("[fd00::2]:8888", "fd00::1:8888");
        assertThat(HostAndPort.parse(instances.get(1).address())).isEqualTo(new HostAndPort("fd00::1", 8888));
        assertThat(HostAndPort.parse(instances.get(0).address())).isEqualTo(new HostAndPort("fd00::2", 8888));
    }

    // Spec case 18: Hertz mode reads sonic values (unsorted keys, no HTML escaping) under hertz/registry-etcd.
    @Test
    void case18_hertzMode() throws Exception {
        put(client, "hertz/registry-etcd/c18/[::1]:8888",
                "{\"weight\":0,\"tags\":{\"z\":\"1\",\"a\":\"<b&c>\"},\"address\":\"[::1]:8888\",\"network\":\"tcp\"}");
        put(client, "kitex/registry-etcd/c18/10.0.0.1:1", goValue("10.0.0.1:1", 10));

        final ResolvedInstances hertz = resolve("c18", EtcdResolver.Builder::hertzMode);
        assertThat(hertz.state()).isEqualTo(State.OK);
        assertThat(hertz.instances()).containsExactly(
                new Instance("tcp", "[::1]:8888", 10, Map.of("a", "<b&c>", "z", "1")));
        assertThat(HostAndPort.parse(hertz.instances().get(0).address())).isEqualTo(new HostAndPort("::1", 8888));

        // Kitex mode does not see Hertz keys, and the reverse.
        assertThat(addresses(resolve("c18"))).containsExactly("10.0.0.1:1");

        // Hertz: an empty service is an empty list, not an error (state OK); Kitex: NO_INSTANCES.
        final ResolvedInstances empty = resolve("c18none", EtcdResolver.Builder::hertzMode);
        assertThat(empty.state()).isEqualTo(State.OK);
        assertThat(empty.instances()).isEmpty();
        assertThat(resolve("c18none").state()).isEqualTo(State.NO_INSTANCES);
    }

    @Test
    void invalidServiceNamesAreRejected() {
        try (EtcdResolver resolver = resolver(b -> b)) {
            assertThatThrownBy(() -> resolver.watch("a/b")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'/'");
            assertThatThrownBy(() -> resolver.watch("")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> resolver.watch(null)).isInstanceOf(NullPointerException.class);
        }
        assertThatThrownBy(() -> EtcdResolver.builder().build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("etcd: required");
    }
}
