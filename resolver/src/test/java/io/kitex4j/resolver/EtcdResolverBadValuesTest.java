package io.kitex4j.resolver;

import io.kitex4j.core.discovery.SkippedKey;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.ServiceWatch;
import static io.kitex4j.resolver.ResolverTestSupport.addresses;
import static io.kitex4j.resolver.ResolverTestSupport.firstSync;
import static io.kitex4j.resolver.ResolverTestSupport.goValue;
import static io.kitex4j.resolver.ResolverTestSupport.put;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.etcd.jetcd.Client;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.registry.RegistryEntry;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.resolver.ResolverTestSupport.LogCapture;
import io.kitex4j.core.loadbalance.LoadBalancers;
import io.kitex4j.core.loadbalance.Picker;
import io.kitex4j.testing.EtcdExtension;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 9, defect 5: registry values whose instance no client could dial. Each is skipped with a
 * WARN naming its key (escaped), listed in {@link ResolvedInstances#skipped()} with the reason, and
 * never handed to a load balancer. Go's registry-etcd resolver keeps every one of them (see the
 * README's "Compatibility with Go registry-etcd").
 */
class EtcdResolverBadValuesTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final AtomicInteger SERVICES = new AtomicInteger();
    private static Client client;

    @BeforeAll
    static void connect() {
        client = ETCD.newClient();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    private static String tcp(String jsonAddress) {
        return "{\"network\":\"tcp\",\"address\":\"" + jsonAddress + "\",\"weight\":10,\"tags\":null}";
    }

    /** name, raw value, a part of the reason. */
    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("no port", tcp("127.0.0.1"), "has no port"),
                Arguments.of("unbalanced bracket", tcp("[::1"), "unclosed '['"),
                Arguments.of("closing bracket only", tcp("::1]:80"), "unbalanced bracket"),
                Arguments.of("empty address", tcp(""), "address: empty"),
                Arguments.of("spaces", tcp("host name with spaces:80"), "space or control character"),
                Arguments.of("port over 65535", tcp("127.0.0.1:99999"), "out of range"),
                Arguments.of("port 0", tcp("127.0.0.1:0"), "port 0"),
                Arguments.of("non-numeric port", tcp("127.0.0.1:http"), "bad port 'http'"),
                Arguments.of("signed port", tcp("127.0.0.1:+80"), "bad port '+80'"),
                Arguments.of("NUL byte", tcp("127.0.0.1\\u0000:80"), "space or control character"),
                Arguments.of("newline", tcp("127.0.0.1\\n:80"), "space or control character"),
                Arguments.of("no host", tcp(":80"), "has no host"),
                Arguments.of("colon host that is not IPv6", tcp("a:b:80"), "not an IPv6 address"),
                Arguments.of("unix socket",
                        "{\"network\":\"unix\",\"address\":\"/tmp/kitex.sock\",\"weight\":10,\"tags\":null}",
                        "can dial only TCP"),
                Arguments.of("unknown network",
                        "{\"network\":\"udp\",\"address\":\"127.0.0.1:80\",\"weight\":10,\"tags\":null}",
                        "unknown network 'udp'"),
                Arguments.of("no network", "{\"address\":\"127.0.0.1:80\",\"weight\":10}", "unknown network ''"),
                Arguments.of("JSON null", "null", "address: empty"),
                Arguments.of("empty value", "", "empty value"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void anUndialableValueIsSkippedWithAWarningNamingTheKey(String name, String value, String reason)
            throws Exception {
        final String service = "bad" + SERVICES.incrementAndGet();
        final String badKey = "kitex/registry-etcd/" + service + "/bad\u0001key";
        put(client, "kitex/registry-etcd/" + service + "/10.0.0.1:8888", goValue("10.0.0.1:8888", 10));
        put(client, badKey, value);

        try (LogCapture logs = new LogCapture()) {
            final ResolvedInstances view = resolve(service);
            assertThat(view.state()).isEqualTo(State.OK);
            assertThat(addresses(view)).containsExactly("10.0.0.1:8888");
            assertThat(view.skipped()).singleElement().satisfies(skipped -> {
                assertThat(skipped.key()).isEqualTo(badKey);
                assertThat(skipped.skipReason()).contains(reason);
            });
            // One line, the key escaped: the \x01 cannot reach the log as a raw byte.
            assertThat(logs.messages(Level.WARN)).singleElement().asString()
                    .contains("'kitex/registry-etcd/" + service + "/bad\\x01key'")
                    .contains(service)
                    .doesNotContain("\u0001").doesNotContain("\u0000").doesNotContain("\n");
        }
    }

    @Test
    void oneValidAmongManyInvalidIsTheOnlyOneEverPicked() throws Exception {
        final String service = "bad.many";
        put(client, "kitex/registry-etcd/" + service + "/10.0.0.9:9", goValue("10.0.0.9:9", 10));
        final List<Arguments> bad = badValues().toList();
        for (int i = 0; i < bad.size(); i++) {
            put(client, "kitex/registry-etcd/" + service + "/bad-" + i, (String) bad.get(i).get()[1]);
        }
        try (LogCapture logs = new LogCapture()) {
            final ResolvedInstances view = resolve(service);
            assertThat(addresses(view)).containsExactly("10.0.0.9:9");
            assertThat(view.skipped()).hasSize(bad.size()).allSatisfy(e -> assertThat(e.skipReason()).isNotEmpty());
            final Picker picker = LoadBalancers.defaultBalancer().newPicker(view.instances());
            for (int i = 0; i < 300; i++) {
                assertThat(picker.pick()).extracting(Instance::address).isEqualTo("10.0.0.9:9");
            }
            // Rate-limited: a flood of bad values costs a counter, not a log line each.
            assertThat(logs.messages(Level.WARN)).filteredOn(m -> m.startsWith("Skipping key"))
                    .hasSizeLessThanOrEqualTo(RateLimitedLog.DEFAULT_BURST);
        }
    }

    @Test
    void twoKeysWithEmptyAddressesAreTwoSkippedKeysNotOneInstance() throws Exception {
        final String service = "bad.empty2";
        put(client, "kitex/registry-etcd/" + service + "/10.0.0.2:2", goValue("10.0.0.2:2", 10));
        try (EtcdResolver resolver = resolver(); ServiceWatch watch = resolver.watch(service)) {
            assertThat(addresses(firstSync(watch))).containsExactly("10.0.0.2:2");
            final ResolverTestSupport.RecordingListener listener = new ResolverTestSupport.RecordingListener();
            watch.addListener(listener);
            listener.next(); // the current view

            put(client, "kitex/registry-etcd/" + service + "/a", tcp(""));
            put(client, "kitex/registry-etcd/" + service + "/b", "null");
            final ResolverUpdate update = listener.await(u -> u.current().skipped().size() == 2).update();
            assertThat(update.current().skipped()).extracting(SkippedKey::key)
                    .containsExactly("kitex/registry-etcd/" + service + "/a", "kitex/registry-etcd/" + service + "/b");
            assertThat(update.added()).isEmpty();
            assertThat(addresses(watch.snapshot())).containsExactly("10.0.0.2:2");

            // A skipped key fixed in place becomes an instance; deleted, it leaves the skipped list.
            put(client, "kitex/registry-etcd/" + service + "/a", goValue("10.0.0.3:3", 10));
            final ResolverUpdate fixed = listener.await(u -> !u.added().isEmpty()).update();
            assertThat(addresses(fixed.added())).containsExactly("10.0.0.3:3");
            assertThat(fixed.current().skipped()).extracting(SkippedKey::key)
                    .containsExactly("kitex/registry-etcd/" + service + "/b");
            ResolverTestSupport.delete(client, "kitex/registry-etcd/" + service + "/b");
            listener.await(u -> u.current().skipped().isEmpty());
        }
    }

    @Test
    void aValidValueOverwrittenByAnUndialableOneIsRemoved() throws Exception {
        final String service = "bad.overwrite";
        final String key = "kitex/registry-etcd/" + service + "/10.0.0.4:4";
        put(client, key, goValue("10.0.0.4:4", 10));
        try (EtcdResolver resolver = resolver(); ServiceWatch watch = resolver.watch(service)) {
            assertThat(addresses(firstSync(watch))).containsExactly("10.0.0.4:4");
            final ResolverTestSupport.RecordingListener listener = new ResolverTestSupport.RecordingListener();
            watch.addListener(listener);
            listener.next();

            put(client, key, tcp("10.0.0.4"));
            final ResolverUpdate update = listener.await(u -> !u.removed().isEmpty()).update();
            assertThat(update.current().instances()).isEmpty();
            assertThat(update.current().state()).isEqualTo(State.NO_INSTANCES);
            assertThat(update.current().skipped()).extracting(SkippedKey::skipReason)
                    .singleElement().asString().contains("has no port");
        }
    }

    private static EtcdResolver resolver() {
        return EtcdResolver.builder().etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build()).build();
    }

    private static ResolvedInstances resolve(String service) throws Exception {
        try (EtcdResolver resolver = resolver(); ServiceWatch watch = resolver.watch(service)) {
            return firstSync(watch);
        }
    }
}
