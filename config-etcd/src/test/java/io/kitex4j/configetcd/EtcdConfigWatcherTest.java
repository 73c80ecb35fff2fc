package io.kitex4j.configetcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.governance.CircuitBreakerConfig;
import io.kitex4j.governance.ClientPolicies;
import io.kitex4j.governance.RetryPolicy;
import io.kitex4j.governance.TimeoutPolicy;
import io.kitex4j.testing.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** Against a real etcd: every test gets a fresh single-member cluster. */
class EtcdConfigWatcherTest {

    @RegisterExtension
    final EtcdExtension etcd = EtcdExtension.single();

    private static final Duration FAST = Duration.ofSeconds(5);

    private final List<ConfigEvent> events = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger watcherLogger = (Logger) LoggerFactory.getLogger(EtcdConfigWatcher.class);
    private Client client;
    private EtcdConfigWatcher watcher;

    @BeforeEach
    void setUp() {
        log.start();
        watcherLogger.addAppender(log);
        client = etcd.newClient();
    }

    @AfterEach
    void tearDown() {
        watcherLogger.detachAppender(log);
        if (watcher != null) {
            watcher.close();
        }
        client.close();
    }

    private EtcdConfigWatcher.Builder builder() {
        return EtcdConfigWatcher.builder().endpoints(etcd.endpoints().toArray(String[]::new)).listener(events::add);
    }

    private void put(String key, String value) throws Exception {
        client.getKVClient().put(bytes(key), bytes(value)).get(5, TimeUnit.SECONDS);
    }

    private void delete(String key) throws Exception {
        client.getKVClient().delete(bytes(key)).get(5, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private List<ILoggingEvent> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    @Test
    void keysAreConfigEtcds() {
        watcher = builder().build();
        assertThat(watcher.clientKey("frontend", "echo", ConfigKind.RETRY)).isEqualTo("/KitexConfig/frontend/echo/retry");
        assertThat(watcher.clientKey("frontend", "echo", ConfigKind.RPC_TIMEOUT))
                .isEqualTo("/KitexConfig/frontend/echo/rpc_timeout");
        assertThat(watcher.clientKey("frontend", "echo", ConfigKind.CIRCUIT_BREAK))
                .isEqualTo("/KitexConfig/frontend/echo/circuit_break");
        assertThat(watcher.serverKey("echo", ConfigKind.LIMIT)).isEqualTo("/KitexConfig/echo/limit");
        assertThatThrownBy(() -> watcher.serverKey("echo", ConfigKind.RETRY)).hasMessageContaining("kind: RETRY");

        try (EtcdConfigWatcher custom = builder().prefix("/cfg/{{.Category}}")
                .clientPathFormat("{{ .ServerServiceName }}.{{.ClientServiceName}}").build()) {
            assertThat(custom.clientKey("a", "b", ConfigKind.RETRY)).isEqualTo("/cfg/retry/b.a");
        }
        assertThatThrownBy(() -> builder().prefix("{{.Env}}").build()).hasMessageContaining("prefix: '{{.Env}}' uses {{.Env}}");
        assertThatThrownBy(() -> builder().clientPathFormat("{{if .X}}").build())
                .hasMessageStartingWith("clientPathFormat:");
        assertThatThrownBy(() -> EtcdConfigWatcher.builder().build()).hasMessageStartingWith("etcd: not set");
        assertThatThrownBy(() -> builder().maxValueBytes(0).build()).hasMessageStartingWith("maxValueBytes: 0");
    }

    @Test
    void putChangeDelete_applyLive() throws Exception {
        watcher = builder().build();
        final String retryKey = "/KitexConfig/frontend/echo/retry";
        final String timeoutKey = "/KitexConfig/frontend/echo/rpc_timeout";
        final String cbKey = "/KitexConfig/frontend/echo/circuit_break";
        put(timeoutKey, "{\"*\":{\"rpc_timeout_ms\":1000,\"conn_timeout_ms\":100}}");

        final EtcdClientPolicies policies = watcher.clientPolicies("frontend", "echo");
        // Read before clientPolicies returned.
        assertThat(policies.current().timeout("Echo"))
                .isEqualTo(new TimeoutPolicy(Duration.ofSeconds(1), Duration.ofMillis(100)));
        assertThat(policies.current().retry("Echo")).isNull();
        assertThat(policies.key(ConfigKind.RETRY)).isEqualTo(retryKey);

        put(retryKey, KitexConfigParserTest.GO_FAILURE);
        await().atMost(FAST).until(() -> policies.current().retry("Echo") != null);
        assertThat(policies.current().retry("Echo")).isEqualTo(RetryPolicy.failure().maxRetryTimes(2).build());

        put(timeoutKey, "{\"Echo\":{\"rpc_timeout_ms\":200}}");
        await().atMost(FAST).until(() -> policies.current().timeouts().containsKey("Echo"));
        assertThat(policies.current().timeout("Echo")).isEqualTo(new TimeoutPolicy(Duration.ofMillis(200), null));
        assertThat(policies.current().timeout("Other")).isNull();

        put(cbKey, "{\"Echo\":{\"enable\":true,\"err_rate\":0.3,\"min_sample\":10},"
                + "\"*\":{\"enable\":true,\"err_rate\":0.1,\"min_sample\":5}}");
        await().atMost(FAST).until(() -> policies.current().circuitBreaker("Echo") != null);
        assertThat(policies.current().circuitBreaker("Echo")).isEqualTo(new CircuitBreakerConfig(true, 0.3, 10));
        // No wildcard for breakers in Kitex: "*" is left out, with a WARN.
        assertThat(policies.current().circuitBreakers()).containsOnlyKeys("Echo");
        assertThat(warnings()).anySatisfy(w -> assertThat(w.getFormattedMessage())
                .contains(cbKey).contains("circuit_break has no wildcard"));

        delete(retryKey);
        await().atMost(FAST).until(() -> policies.current().retry("Echo") == null);
        assertThat(policies.current().retries()).isEmpty();
        assertThat(policies.current().timeout("Echo")).isNotNull(); // the other keys stay

        assertThat(events).extracting(ConfigEvent::key, ConfigEvent::type).containsExactly(
                org.assertj.core.groups.Tuple.tuple(timeoutKey, ConfigEvent.Type.APPLIED),
                org.assertj.core.groups.Tuple.tuple(retryKey, ConfigEvent.Type.APPLIED),
                org.assertj.core.groups.Tuple.tuple(timeoutKey, ConfigEvent.Type.APPLIED),
                org.assertj.core.groups.Tuple.tuple(cbKey, ConfigEvent.Type.APPLIED),
                org.assertj.core.groups.Tuple.tuple(retryKey, ConfigEvent.Type.RESTORED_DEFAULTS));

        policies.close();
        put(retryKey, KitexConfigParserTest.GO_FAILURE);
        Thread.sleep(300); // a closed handle no longer follows the key
        assertThat(policies.current().retries()).isEmpty();
    }

    @Test
    void malformedAndOversizedValues_oneWarnNamingTheKey_lastGoodKept() throws Exception {
        watcher = builder().maxValueBytes(1024).build();
        final String key = "/KitexConfig/frontend/echo/retry";
        put(key, KitexConfigParserTest.GO_FAILURE);
        final EtcdClientPolicies policies = watcher.clientPolicies("frontend", "echo");
        final ClientPolicies good = policies.current();
        assertThat(good.retry("Echo")).isNotNull();

        put(key, "{\"*\":{\"enable\":true,\"failure_policy\":{\"stop_policy\":{\"max_retry_times\":-1}}}}");
        await().atMost(FAST).until(() -> events.stream().anyMatch(e -> e.type() == ConfigEvent.Type.REJECTED));
        assertThat(policies.current()).isEqualTo(good);
        final ConfigEvent rejected = events.get(events.size() - 1);
        assertThat(rejected.key()).isEqualTo(key);
        assertThat(rejected.error().field()).isEqualTo("[\"*\"].failure_policy.stop_policy.max_retry_times");
        assertThat(warnings()).singleElement().satisfies(w -> assertThat(w.getFormattedMessage())
                .contains("config key " + key + " rejected").contains("max_retry_times: -1 (expected: 0..5"));

        // More bad values right after: events for each, but the WARN is rate-limited.
        put(key, "not json");
        put(key, "{\"*\":{\"enable\":true,\"failure_policy\":{\"backoff_policy\":{\"backoff_type\":\"exp\"}}}}");
        put(key, "{\"x\":\"" + "a".repeat(2000) + "\"}");
        await().atMost(FAST).until(() -> events.stream().filter(e -> e.type() == ConfigEvent.Type.REJECTED).count() == 4);
        assertThat(events.get(events.size() - 1).error().getMessage())
                .isEqualTo("value: 2008 bytes (expected: at most 1024, the watcher's maxValueBytes)");
        assertThat(warnings()).hasSize(1);
        assertThat(policies.current()).isEqualTo(good);

        // A key with control characters is escaped in the log.
        final EtcdClientPolicies odd = watcher.clientPolicies("front\u001bend", "echo");
        put("/KitexConfig/front\u001bend/echo/rpc_timeout", "{\"*\":1}");
        await().atMost(FAST).until(() -> warnings().size() == 2);
        assertThat(warnings().get(1).getFormattedMessage()).contains("/KitexConfig/front\\x1bend/echo/rpc_timeout")
                .doesNotContain("\u001b");
        odd.close();

        // And a good value applies again.
        put(key, "{\"Echo\":{\"enable\":true,\"type\":1,\"backup_policy\":{\"retry_delay_ms\":30}}}");
        await().atMost(FAST).until(() -> policies.current().retry("Echo") != null
                && policies.current().retry("Echo").type() == RetryPolicy.Type.BACKUP);
    }

    @Test
    void defaultTimeoutFillsTheWildcardAsGosSuite() throws Exception {
        watcher = builder().defaultTimeout(EtcdConfigWatcher.KITEX_DEFAULT_TIMEOUT).build();
        final EtcdClientPolicies policies = watcher.clientPolicies("c", "s");
        assertThat(policies.current().timeout("Echo")).isEqualTo(EtcdConfigWatcher.KITEX_DEFAULT_TIMEOUT);
        put("/KitexConfig/c/s/rpc_timeout", "{\"Echo\":{\"rpc_timeout_ms\":300,\"conn_timeout_ms\":20}}");
        await().atMost(FAST).until(() -> policies.current().timeouts().containsKey("Echo"));
        assertThat(policies.current().timeout("Other")).isEqualTo(EtcdConfigWatcher.KITEX_DEFAULT_TIMEOUT);
        put("/KitexConfig/c/s/rpc_timeout", "{\"*\":{\"rpc_timeout_ms\":300}}");
        await().atMost(FAST).until(() -> new TimeoutPolicy(Duration.ofMillis(300), null)
                .equals(policies.current().timeout("Other")));
    }

    @Test
    void serverLimits() throws Exception {
        watcher = builder().build();
        final String key = "/KitexConfig/echo/limit";
        final List<ServerLimits> seen = new CopyOnWriteArrayList<>();
        // Absent at the start: the listener is not called (the server keeps its own limits).
        final EtcdServerLimits limits = watcher.serverLimits("echo", seen::add);
        assertThat(limits.key()).isEqualTo(key);
        assertThat(limits.current()).isNull();
        put(key, "{\"connection_limit\":100,\"qps_limit\":50}");
        await().atMost(FAST).until(() -> seen.size() == 1);
        assertThat(seen.get(0)).isEqualTo(new ServerLimits(100, 50));
        put(key, "{\"qps_limit\":-3}");
        await().atMost(FAST).until(() -> events.stream().anyMatch(e -> e.type() == ConfigEvent.Type.REJECTED));
        assertThat(limits.current()).isEqualTo(new ServerLimits(100, 50));
        put(key, "{\"qps_limit\":10}");
        await().atMost(FAST).until(() -> seen.size() == 2);
        assertThat(seen.get(1)).isEqualTo(new ServerLimits(0, 10));
        delete(key);
        await().atMost(FAST).until(() -> seen.size() == 3);
        assertThat(seen.get(2)).isEqualTo(ServerLimits.NONE);

        // Present at the start: given before serverLimits returns.
        put(key, "{\"qps_limit\":7}");
        final List<ServerLimits> second = new CopyOnWriteArrayList<>();
        watcher.serverLimits("echo", second::add).close();
        assertThat(second).containsExactly(new ServerLimits(0, 7));
        assertThat(seen).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void sharedClientIsLeftOpen() throws Exception {
        try (EtcdConfigWatcher shared = EtcdConfigWatcher.builder().client(client).build()) {
            put("/KitexConfig/a/b/retry", KitexConfigParserTest.GO_FAILURE);
            assertThat(shared.clientPolicies("a", "b").current().retry("X")).isNotNull();
        }
        // The client still works after the watcher closed.
        assertThat(client.getKVClient().get(bytes("/KitexConfig/a/b/retry")).get(5, TimeUnit.SECONDS).getCount())
                .isEqualTo(1);
    }

    @Test
    void etcdRestarted_changesMadeAfterApply() throws Exception {
        watcher = builder().build();
        final String key = "/KitexConfig/frontend/echo/rpc_timeout";
        put(key, "{\"*\":{\"rpc_timeout_ms\":100}}");
        final EtcdClientPolicies policies = watcher.clientPolicies("frontend", "echo");
        assertThat(policies.current().timeout("Echo").rpcTimeout()).isEqualTo(Duration.ofMillis(100));

        final EtcdMember member = etcd.cluster().member(0);
        member.stop();
        Thread.sleep(500);
        member.start();
        final long t0 = System.nanoTime();
        put(key, "{\"*\":{\"rpc_timeout_ms\":200}}");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> Duration.ofMillis(200).equals(policies.current().timeout("Echo").rpcTimeout()));
        System.out.println("after an etcd restart, a put applied in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        // And the watch is live again, deletions included.
        delete(key);
        await().atMost(FAST).until(() -> policies.current().timeout("Echo") == null);
    }

    @Test
    void etcdDownAtStart_startsWithDefaults_appliesWhenEtcdAnswers() throws Exception {
        put("/KitexConfig/down/echo/retry", KitexConfigParserTest.GO_FAILURE);
        final EtcdMember member = etcd.cluster().member(0);
        member.stop();
        watcher = builder().timeout(Duration.ofMillis(500)).build();
        final long t0 = System.nanoTime();
        final EtcdClientPolicies policies = watcher.clientPolicies("down", "echo");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3_000);
        assertThat(policies.current()).isEqualTo(ClientPolicies.empty());
        assertThat(warnings()).anySatisfy(w -> assertThat(w.getFormattedMessage())
                .contains("etcd did not answer within 500 ms"));
        member.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> policies.current().retry("Echo") != null);
        put("/KitexConfig/down/echo/retry", "{}");
        await().atMost(FAST).until(() -> policies.current().retries().isEmpty());
    }
}
