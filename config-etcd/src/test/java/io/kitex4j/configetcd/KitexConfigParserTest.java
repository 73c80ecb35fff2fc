package io.kitex4j.configetcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.governance.Backoff;
import io.kitex4j.governance.CircuitBreakerConfig;
import io.kitex4j.governance.RetryPolicy;
import io.kitex4j.governance.TimeoutPolicy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KitexConfigParserTest {

    /** The failure policy JSON as Go's json.Marshal writes a Kitex retry.Policy (kitex-production.md §7). */
    static final String GO_FAILURE = "{\"*\":{\"enable\":true,\"type\":0,\"failure_policy\":{\"stop_policy\":"
            + "{\"max_retry_times\":2,\"max_duration_ms\":0,\"disable_chain_stop\":false,\"ddl_stop\":false,"
            + "\"cb_policy\":{\"error_rate\":0.1}},\"backoff_policy\":{\"backoff_type\":\"none\"},"
            + "\"retry_same_node\":false,\"extra\":\"\"}}}";

    @Test
    void failurePolicyAsGoWritesIt() {
        final Map<String, RetryPolicy> m = KitexConfigParser.parseRetry(GO_FAILURE);
        assertThat(m).containsOnlyKeys("*");
        assertThat(m.get("*")).isEqualTo(RetryPolicy.failure().maxRetryTimes(2).build());
    }

    @Test
    void failurePolicyWithEveryField() {
        final RetryPolicy p = KitexConfigParser.parseRetry("{\"Echo\":{\"enable\":true,\"type\":0,\"failure_policy\":"
                + "{\"stop_policy\":{\"max_retry_times\":5,\"max_duration_ms\":300,\"disable_chain_stop\":true,"
                + "\"ddl_stop\":true,\"cb_policy\":{\"error_rate\":0.3}},\"backoff_policy\":{\"backoff_type\":\"random\","
                + "\"cfg_items\":{\"min_ms\":10,\"max_ms\":20}},\"retry_same_node\":true}}}").get("Echo");
        assertThat(p).isEqualTo(RetryPolicy.failure().maxRetryTimes(5).maxDuration(Duration.ofMillis(300))
                .chainStop(false).ddlStop(true).retryBreakerErrorRate(0.3)
                .backoff(Backoff.random(Duration.ofMillis(10), Duration.ofMillis(20))).retrySameNode(true).build());
    }

    @Test
    void fixedBackoffRoundsAsKitex() {
        final RetryPolicy p = KitexConfigParser.parseRetry("{\"*\":{\"enable\":true,\"failure_policy\":{"
                + "\"backoff_policy\":{\"backoff_type\":\"fixed\",\"cfg_items\":{\"fix_ms\":9.6}}}}}").get("*");
        assertThat(p.backoff()).isEqualTo(Backoff.fixed(Duration.ofMillis(10)));
        // Left out: max_retry_times 0 (Go's zero value), error rate 0 → Kitex's default 0.1.
        assertThat(p.maxRetryTimes()).isZero();
        assertThat(p.retryBreakerErrorRate()).isEqualTo(0.1);
    }

    @Test
    void backupAndMixedPolicies() {
        final Map<String, RetryPolicy> m = KitexConfigParser.parseRetry("{\"A\":{\"enable\":true,\"type\":1,"
                + "\"backup_policy\":{\"retry_delay_ms\":30,\"stop_policy\":{\"max_retry_times\":2}}},"
                + "\"B\":{\"enable\":true,\"type\":2,\"mixed_policy\":{\"retry_delay_ms\":40,"
                + "\"stop_policy\":{\"max_retry_times\":3},\"backoff_policy\":{\"backoff_type\":\"fixed\","
                + "\"cfg_items\":{\"fix_ms\":5}},\"retry_same_node\":true}}}");
        assertThat(m.get("A")).isEqualTo(RetryPolicy.backup(Duration.ofMillis(30)).maxRetryTimes(2).build());
        assertThat(m.get("B")).isEqualTo(RetryPolicy.mixed(Duration.ofMillis(40)).maxRetryTimes(3)
                .backoff(Backoff.fixed(Duration.ofMillis(5))).retrySameNode(true).build());
    }

    @Test
    void disabledEntryMeansNoRetryWhateverItsContent() {
        final Map<String, RetryPolicy> m = KitexConfigParser.parseRetry(
                "{\"Echo\":{\"enable\":false,\"type\":7,\"failure_policy\":{\"stop_policy\":{\"max_retry_times\":99}}},"
                        + "\"Other\":{\"type\":0,\"failure_policy\":{}}}");
        assertThat(m.get("Echo").maxRetryTimes()).isZero();
        assertThat(m.get("Other").maxRetryTimes()).isZero(); // enable left out = false, as Go
    }

    @Test
    void goFieldRulesCaseInsensitiveUnknownIgnoredNullIsZero() {
        final RetryPolicy p = KitexConfigParser.parseRetry("{\"*\":{\"Enable\":true,\"TYPE\":null,\"future\":[1],"
                + "\"failure_policy\":{\"Stop_Policy\":{\"max_retry_times\":1,\"cb_policy\":null}}}}").get("*");
        assertThat(p).isEqualTo(RetryPolicy.failure().maxRetryTimes(1).build());
        assertThat(KitexConfigParser.parseRetry("null")).isEmpty();
        assertThat(KitexConfigParser.parseRetry("{}")).isEmpty();
    }

    @Test
    void rejectsNamingTheField() {
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"stop_policy\":{\"max_retry_times\":-1}}}}",
                "[\"*\"].failure_policy.stop_policy.max_retry_times", "-1 (expected: 0..5");
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"stop_policy\":{\"max_retry_times\":6}}}}",
                "[\"*\"].failure_policy.stop_policy.max_retry_times", "6 (expected: 0..5");
        assertRejected("{\"*\":{\"enable\":true,\"type\":1,\"backup_policy\":{\"retry_delay_ms\":10,"
                + "\"stop_policy\":{\"max_retry_times\":3}}}}", "[\"*\"].backup_policy.stop_policy.max_retry_times", "0..2");
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"backoff_policy\":{\"backoff_type\":\"exp\"}}}}",
                "[\"*\"].failure_policy.backoff_policy.backoff_type", "'exp' (expected: none, fixed or random)");
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"backoff_policy\":{\"backoff_type\":\"fixed\"}}}}",
                "[\"*\"].failure_policy.backoff_policy.cfg_items", "fix_ms");
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"backoff_policy\":{\"backoff_type\":\"random\","
                + "\"cfg_items\":{\"min_ms\":20,\"max_ms\":20}}}}}", "[\"*\"].failure_policy.backoff_policy.cfg_items.max_ms",
                "> min_ms");
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"stop_policy\":{\"cb_policy\":{\"error_rate\":0.5}}}}}",
                "[\"*\"].failure_policy.stop_policy.cb_policy.error_rate", "0.5 (expected: > 0 and <= 0.3");
        assertRejected("{\"*\":{\"enable\":true,\"type\":3}}", "[\"*\"].type", "3 (expected: 0 failure, 1 backup, 2 mixed)");
        assertRejected("{\"*\":{\"enable\":true,\"type\":1}}", "[\"*\"].backup_policy", "missing");
        assertRejected("{\"*\":{\"enable\":true,\"type\":1,\"backup_policy\":{}}}", "[\"*\"].backup_policy.retry_delay_ms",
                "0 (expected: > 0");
        assertRejected("{\"*\":{\"enable\":\"yes\"}}", "[\"*\"].enable", "\"yes\" (expected: true or false)");
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"stop_policy\":{\"max_retry_times\":2.0}}}}",
                "[\"*\"].failure_policy.stop_policy.max_retry_times", "expected: an integer");
        assertRejected("{\"*\":{\"enable\":true,\"failure_policy\":{\"stop_policy\":{\"max_duration_ms\":-5}}}}",
                "[\"*\"].failure_policy.stop_policy.max_duration_ms", "-5 (expected: 0..4294967295");
        assertRejected("{\"*\":null}", "[\"*\"]", "null");
        assertRejected("[1,2]", "", "expected: a JSON object");
        assertRejected("{\"*\":", "", "not JSON");
        assertRejected("{} trailing", "", "not JSON");
        assertRejected("", "", "empty");
    }

    @Test
    void rpcTimeout() {
        final Map<String, TimeoutPolicy> m = KitexConfigParser.parseRpcTimeout(
                "{\"*\":{\"rpc_timeout_ms\":1000,\"conn_timeout_ms\":100},\"Echo\":{\"rpc_timeout_ms\":200}}");
        assertThat(m.get("*")).isEqualTo(new TimeoutPolicy(Duration.ofSeconds(1), Duration.ofMillis(100)));
        assertThat(m.get("Echo")).isEqualTo(new TimeoutPolicy(Duration.ofMillis(200), null));
        assertRejected(ConfigKind.RPC_TIMEOUT, "{\"Echo\":{\"rpc_timeout_ms\":-1}}", "[\"Echo\"].rpc_timeout_ms",
                "-1 (expected: 0..2147483647 ms)");
        assertRejected(ConfigKind.RPC_TIMEOUT, "{\"Echo\":{\"rpc_timeout_ms\":\"1s\"}}", "[\"Echo\"].rpc_timeout_ms",
                "\"1s\"");
        assertRejected(ConfigKind.RPC_TIMEOUT, "{\"Echo\":5}", "[\"Echo\"]", "5 (expected: a JSON object)");
    }

    @Test
    void circuitBreak() {
        final Map<String, CircuitBreakerConfig> m = KitexConfigParser.parseCircuitBreak(
                "{\"Echo\":{\"enable\":true,\"err_rate\":0.3,\"min_sample\":10},\"Off\":{\"enable\":false}}");
        assertThat(m.get("Echo")).isEqualTo(new CircuitBreakerConfig(true, 0.3, 10));
        assertThat(m.get("Off")).isEqualTo(new CircuitBreakerConfig(false, 0.5, 200));
        assertRejected(ConfigKind.CIRCUIT_BREAK, "{\"Echo\":{\"enable\":true,\"err_rate\":1.5,\"min_sample\":10}}",
                "[\"Echo\"].err_rate", "1.5 (expected: > 0 and <= 1)");
        assertRejected(ConfigKind.CIRCUIT_BREAK, "{\"Echo\":{\"enable\":true,\"err_rate\":0.5,\"min_sample\":0}}",
                "[\"Echo\"].min_sample", "0 (expected: >= 1)");
    }

    @Test
    void limit() {
        assertThat(KitexConfigParser.parseLimit("{\"connection_limit\":100,\"qps_limit\":2000}"))
                .isEqualTo(new ServerLimits(100, 2000));
        assertThat(KitexConfigParser.parseLimit("{}")).isEqualTo(ServerLimits.NONE);
        assertRejected(ConfigKind.LIMIT, "{\"qps_limit\":-1}", "qps_limit", "-1 (expected: 0..2147483647)");
        assertRejected(ConfigKind.LIMIT, "{\"qps_limit\":9999999999}", "qps_limit", "9999999999");
    }

    @Test
    void escapesWhatItQuotes() {
        assertThatThrownBy(() -> KitexConfigParser.parseRetry("{\"E\\u001b[31m\":{\"enable\":\"x\"}}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("[\"E\\x1b[31m\"].enable");
    }

    private static void assertRejected(String json, String field, String detail) {
        assertRejected(ConfigKind.RETRY, json, field, detail);
    }

    private static void assertRejected(ConfigKind kind, String json, String field, String detail) {
        assertThatThrownBy(() -> KitexConfigParser.validate(kind, json))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageContaining(detail);
    }
}
