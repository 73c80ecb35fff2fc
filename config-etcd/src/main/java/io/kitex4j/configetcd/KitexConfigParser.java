package io.kitex4j.configetcd;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.governance.Backoff;
import io.kitex4j.governance.CircuitBreakerConfig;
import io.kitex4j.governance.ClientPolicies;
import io.kitex4j.governance.RetryPolicy;
import io.kitex4j.governance.TimeoutPolicy;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Reads config-etcd's JSON values into kitex4j's policy types, strictly: the shapes are those Kitex
 * v0.16 unmarshals into ({@code retry.Policy}, {@code rpctimeout.RPCTimeout}, {@code circuitbreak.CBConfig},
 * {@code limiter.LimiterConfig}), with Go's {@code encoding/json} rules for what a field accepts (unknown
 * fields ignored, names matched case-insensitively, {@code null} leaves the zero value, a number where
 * an integer is expected must be integral and in range); but where Kitex would log and fall back (an
 * unknown backoff type, a retry circuit break rate above 0.3, a policy whose type has no matching
 * sub-policy), kitex4j rejects the whole value with an {@link InvalidConfigException} naming the field,
 * so a dynamic config is never silently defaulted.
 *
 * <p>Thread-safe; all methods are static.
 *
 * <pre>{@code
 * Map<String, RetryPolicy> retry = KitexConfigParser.parseRetry(
 *         "{\"*\":{\"enable\":true,\"type\":0,\"failure_policy\":{\"stop_policy\":{\"max_retry_times\":2}}}}");
 * }</pre>
 */
public final class KitexConfigParser {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static final long UINT32_MAX = 0xFFFF_FFFFL;

    /** How a disabled retry entry ({@code "enable": false}) is kept: no retry, shadowing the wildcard, as in Kitex. */
    static final RetryPolicy DISABLED_RETRY = RetryPolicy.failure().maxRetryTimes(0).build();

    private KitexConfigParser() {}

    /**
     * Parses a {@code retry} value: a JSON object from method name (or {@code "*"}) to a Kitex
     * {@code retry.Policy}. An entry with {@code "enable": false} (or no {@code enable}) becomes a policy that
     * never retries, which, as in Kitex, also keeps the wildcard's policy from applying to that method.
     *
     * @return the policies by method, in the order of the value
     * @throws InvalidConfigException naming the first field that is wrong
     */
    public static Map<String, RetryPolicy> parseRetry(String json) {
        final Map<String, RetryPolicy> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(json)) {
            out.put(e.getKey(), retryPolicy(methodPath(e.getKey()), e.getValue()));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Parses an {@code rpc_timeout} value: a JSON object from method name (or {@code "*"}) to
     * {@code {"rpc_timeout_ms": int, "conn_timeout_ms": int}}. A timeout of 0 (or left out) keeps the client's
     * own, where Kitex would use "none"; a negative one is rejected.
     *
     * @throws InvalidConfigException naming the first field that is wrong
     */
    public static Map<String, TimeoutPolicy> parseRpcTimeout(String json) {
        final Map<String, TimeoutPolicy> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(json)) {
            final String path = methodPath(e.getKey());
            final JsonNode node = object(path, e.getValue(), true);
            final long rpc = integer(path + ".rpc_timeout_ms", field(node, "rpc_timeout_ms"), 0, Integer.MAX_VALUE, "ms");
            final long conn = integer(path + ".conn_timeout_ms", field(node, "conn_timeout_ms"), 0, Integer.MAX_VALUE, "ms");
            out.put(e.getKey(), new TimeoutPolicy(rpc == 0 ? null : Duration.ofMillis(rpc),
                    conn == 0 ? null : Duration.ofMillis(conn)));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Parses a {@code circuit_break} value: a JSON object from method name to
     * {@code {"enable": bool, "err_rate": float, "min_sample": int}}. Kitex keys these breakers by
     * {@code <callee>/<method>} with no wildcard: an entry {@code "*"} is returned as it is, and matches only
     * a method named {@code *} in Kitex ({@link EtcdConfigWatcher} leaves it out, with a WARN). A disabled
     * entry keeps Kitex's default thresholds, whatever the value says.
     *
     * @throws InvalidConfigException naming the first field that is wrong, e.g. an enabled breaker with
     *     {@code err_rate} outside {@code (0, 1]} or {@code min_sample < 1}
     */
    public static Map<String, CircuitBreakerConfig> parseCircuitBreak(String json) {
        final Map<String, CircuitBreakerConfig> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(json)) {
            final String path = methodPath(e.getKey());
            final JsonNode node = object(path, e.getValue(), true);
            final boolean enable = bool(path + ".enable", field(node, "enable"));
            final double rate = number(path + ".err_rate", field(node, "err_rate"));
            final long minSample = integer(path + ".min_sample", field(node, "min_sample"), Long.MIN_VALUE,
                    Long.MAX_VALUE, null);
            if (!enable) {
                final CircuitBreakerConfig d = CircuitBreakerConfig.DEFAULT;
                out.put(e.getKey(), new CircuitBreakerConfig(false, d.errorRate(), d.minSample()));
                continue;
            }
            if (!(rate > 0 && rate <= 1)) {
                throw new InvalidConfigException(path + ".err_rate", plain(rate) + " (expected: > 0 and <= 1)");
            }
            if (minSample < 1) {
                throw new InvalidConfigException(path + ".min_sample", minSample + " (expected: >= 1)");
            }
            out.put(e.getKey(), new CircuitBreakerConfig(true, rate, minSample));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Parses a server's {@code limit} value: {@code {"connection_limit": int, "qps_limit": int}}, 0 (or left
     * out) for no limit.
     *
     * @throws InvalidConfigException naming the field that is negative, too large or not an integer
     */
    public static ServerLimits parseLimit(String json) {
        final JsonNode root = readTree(json);
        if (root.isNull()) {
            return ServerLimits.NONE;
        }
        final JsonNode node = object("", root, false);
        final long conns = integer("connection_limit", field(node, "connection_limit"), 0, Integer.MAX_VALUE, null);
        final long qps = integer("qps_limit", field(node, "qps_limit"), 0, Integer.MAX_VALUE, null);
        return new ServerLimits((int) conns, (int) qps);
    }

    /**
     * Checks a value of {@code kind} without keeping the result (what {@code kitex4j config put} does
     * before writing it).
     *
     * @throws InvalidConfigException naming the first field that is wrong
     */
    public static void validate(ConfigKind kind, String json) {
        switch (Objects.requireNonNull(kind, "kind")) {
            case RETRY -> parseRetry(json);
            case RPC_TIMEOUT -> parseRpcTimeout(json);
            case CIRCUIT_BREAK -> parseCircuitBreak(json);
            case LIMIT -> parseLimit(json);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // retry.Policy

    private static RetryPolicy retryPolicy(String path, JsonNode value) {
        if (value == null || value.isNull()) {
            // config-etcd dereferences the *retry.Policy and would panic on a null entry.
            throw new InvalidConfigException(path, "null (expected: a retry policy object)");
        }
        final JsonNode node = object(path, value, false);
        final boolean enable = bool(path + ".enable", field(node, "enable"));
        final long typeCode = integer(path + ".type", field(node, "type"), Long.MIN_VALUE, Long.MAX_VALUE, null);
        // Go's json checks every field's JSON type whether or not the policy is enabled.
        final JsonNode failure = object(path + ".failure_policy", field(node, "failure_policy"), true);
        final JsonNode backup = object(path + ".backup_policy", field(node, "backup_policy"), true);
        final JsonNode mixed = object(path + ".mixed_policy", field(node, "mixed_policy"), true);
        if (!enable) {
            return DISABLED_RETRY;
        }
        if (typeCode < 0 || typeCode > 2) {
            throw new InvalidConfigException(path + ".type", typeCode + " (expected: 0 failure, 1 backup, 2 mixed)");
        }
        final RetryPolicy.Type type = RetryPolicy.Type.ofCode((int) typeCode);
        try {
            return switch (type) {
                case FAILURE -> {
                    final String p = path + ".failure_policy";
                    final JsonNode fp = required(p, failure, "type 0 (failure)");
                    final RetryPolicy.Builder b = RetryPolicy.failure();
                    stopPolicy(p + ".stop_policy", field(fp, "stop_policy"), type, b);
                    b.backoff(backoff(p + ".backoff_policy", field(fp, "backoff_policy")));
                    b.retrySameNode(bool(p + ".retry_same_node", field(fp, "retry_same_node")));
                    string(p + ".extra", field(fp, "extra"));
                    yield b.build();
                }
                case BACKUP -> {
                    final String p = path + ".backup_policy";
                    final JsonNode bp = required(p, backup, "type 1 (backup)");
                    final RetryPolicy.Builder b = RetryPolicy.backup(retryDelay(p, bp));
                    stopPolicy(p + ".stop_policy", field(bp, "stop_policy"), type, b);
                    b.retrySameNode(bool(p + ".retry_same_node", field(bp, "retry_same_node")));
                    yield b.build();
                }
                case MIXED -> {
                    // MixedPolicy embeds FailurePolicy, so Go flattens its fields next to retry_delay_ms.
                    final String p = path + ".mixed_policy";
                    final JsonNode mp = required(p, mixed, "type 2 (mixed)");
                    final RetryPolicy.Builder b = RetryPolicy.mixed(retryDelay(p, mp));
                    stopPolicy(p + ".stop_policy", field(mp, "stop_policy"), type, b);
                    b.backoff(backoff(p + ".backoff_policy", field(mp, "backoff_policy")));
                    b.retrySameNode(bool(p + ".retry_same_node", field(mp, "retry_same_node")));
                    string(p + ".extra", field(mp, "extra"));
                    yield b.build();
                }
            };
        } catch (InvalidConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // A bound RetryPolicy or Backoff checks that the fields above did not (kept as a backstop).
            throw new InvalidConfigException(path, e.getMessage());
        }
    }

    private static Duration retryDelay(String path, JsonNode policy) {
        final long ms = integer(path + ".retry_delay_ms", field(policy, "retry_delay_ms"), 0, UINT32_MAX, null);
        if (ms == 0) {
            throw new InvalidConfigException(path + ".retry_delay_ms", "0 (expected: > 0; Kitex rejects a zero delay)");
        }
        return Duration.ofMillis(ms);
    }

    private static void stopPolicy(String path, JsonNode value, RetryPolicy.Type type, RetryPolicy.Builder b) {
        final JsonNode sp = object(path, value, true);
        final long max = integer(path + ".max_retry_times", field(sp, "max_retry_times"), Long.MIN_VALUE,
                Long.MAX_VALUE, null);
        if (max < 0 || max > type.maxRetryTimesLimit()) {
            throw new InvalidConfigException(path + ".max_retry_times", max + " (expected: 0.."
                    + type.maxRetryTimesLimit() + " for a " + type.name().toLowerCase(java.util.Locale.ROOT)
                    + " policy)");
        }
        b.maxRetryTimes((int) max);
        b.maxDuration(Duration.ofMillis(integer(path + ".max_duration_ms", field(sp, "max_duration_ms"), 0,
                UINT32_MAX, null)));
        b.chainStop(!bool(path + ".disable_chain_stop", field(sp, "disable_chain_stop")));
        b.ddlStop(bool(path + ".ddl_stop", field(sp, "ddl_stop")));
        final String cbPath = path + ".cb_policy";
        final JsonNode cb = object(cbPath, field(sp, "cb_policy"), true);
        final double rate = number(cbPath + ".error_rate", field(cb, "error_rate"));
        if (rate == 0) {
            // Left out (Go's zero value): Kitex's default.
            b.retryBreakerErrorRate(RetryPolicy.DEFAULT_RETRY_BREAKER_ERROR_RATE);
        } else if (rate < 0 || rate > RetryPolicy.MAX_RETRY_BREAKER_ERROR_RATE) {
            // Kitex warns and uses 0.1; kitex4j rejects rather than default silently.
            throw new InvalidConfigException(cbPath + ".error_rate", plain(rate) + " (expected: > 0 and <= "
                    + RetryPolicy.MAX_RETRY_BREAKER_ERROR_RATE + ", or 0 for the default "
                    + RetryPolicy.DEFAULT_RETRY_BREAKER_ERROR_RATE + ")");
        } else {
            b.retryBreakerErrorRate(rate);
        }
    }

    private static Backoff backoff(String path, JsonNode value) {
        final JsonNode node = object(path, value, true);
        if (node == null) {
            return Backoff.none();
        }
        final JsonNode typeNode = field(node, "backoff_type");
        final String type = string(path + ".backoff_type", typeNode);
        final String itemsPath = path + ".cfg_items";
        final JsonNode items = object(itemsPath, field(node, "cfg_items"), true);
        if (items != null) {
            // map[BackOffCfgKey]float64: every item must be a number (or null), whichever type uses it.
            for (Iterator<Map.Entry<String, JsonNode>> it = items.fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> item = it.next();
                number(itemsPath + "." + LogValues.escape(item.getKey(), 64), item.getValue());
            }
        }
        switch (type) {
            case "none":
                return Backoff.none();
            case "fixed": {
                final long fix = itemMillis(itemsPath, items, "fix_ms", "fixed");
                if (fix <= 0) {
                    throw new InvalidConfigException(itemsPath + ".fix_ms", fix + " (expected: > 0)");
                }
                return Backoff.fixed(Duration.ofMillis(fix));
            }
            case "random": {
                final long min = itemMillis(itemsPath, items, "min_ms", "random");
                final long max = itemMillis(itemsPath, items, "max_ms", "random");
                if (min < 0) {
                    throw new InvalidConfigException(itemsPath + ".min_ms", min + " (expected: >= 0)");
                }
                if (max <= min) {
                    throw new InvalidConfigException(itemsPath + ".max_ms", max + " (expected: > min_ms, " + min + ")");
                }
                return Backoff.random(Duration.ofMillis(min), Duration.ofMillis(max));
            }
            default:
                throw new InvalidConfigException(path + ".backoff_type", "'" + LogValues.escape(type, 64)
                        + "' (expected: none, fixed or random)");
        }
    }

    /** A backoff item in ms, rounded as Kitex does ({@code %1.0f}); a missing item is 0 (Go's zero value). */
    private static long itemMillis(String itemsPath, JsonNode items, String name, String type) {
        if (items == null) {
            throw new InvalidConfigException(itemsPath, "missing (expected: " + name + " for a " + type + " backoff)");
        }
        final JsonNode item = items.get(name); // map keys are exact in Go
        final double v = item == null ? 0 : number(itemsPath + "." + name, item);
        if (Math.abs(v) > Integer.MAX_VALUE) {
            throw new InvalidConfigException(itemsPath + "." + name, plain(v) + " (expected: a number of ms that fits an int)");
        }
        return Math.round(Math.rint(v));
    }

    // ---------------------------------------------------------------------------------------------
    // JSON with Go's encoding/json rules

    private static Iterable<Map.Entry<String, JsonNode>> entries(String json) {
        final JsonNode root = readTree(json);
        if (root.isNull()) {
            return Map.<String, JsonNode>of().entrySet(); // Go leaves the map empty
        }
        final JsonNode node = object("", root, false);
        final Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().isEmpty()) {
                throw new InvalidConfigException("[\"\"]", "an empty method name (expected: a method name or \"*\")");
            }
            out.put(e.getKey(), e.getValue());
        }
        return out.entrySet();
    }

    private static JsonNode readTree(String json) {
        Objects.requireNonNull(json, "json");
        try {
            final JsonNode root = JSON.readTree(json);
            if (root == null || root.isMissingNode()) {
                throw new InvalidConfigException("", "empty (expected: a JSON object)");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException("", "not JSON: " + LogValues.escape(e.getOriginalMessage(), 160)
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() : ""));
        }
    }

    private static String methodPath(String method) {
        return "[\"" + LogValues.escape(method, 64) + "\"]";
    }

    /** Go's field matching: an exact name or a case-insensitive one; the last such key in the object wins. */
    private static JsonNode field(JsonNode object, String name) {
        if (object == null) {
            return null;
        }
        JsonNode found = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                found = e.getValue();
            }
        }
        return found;
    }

    private static JsonNode object(String path, JsonNode value, boolean nullable) {
        if (value == null || value.isNull()) {
            if (nullable) {
                return null;
            }
            throw new InvalidConfigException(path, "null (expected: a JSON object)");
        }
        if (!value.isObject()) {
            throw new InvalidConfigException(path, describe(value) + " (expected: a JSON object)");
        }
        return value;
    }

    private static JsonNode required(String path, JsonNode value, String forWhat) {
        if (value == null) {
            throw new InvalidConfigException(path, "missing (expected: an object for " + forWhat + ")");
        }
        return value;
    }

    private static boolean bool(String path, JsonNode value) {
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new InvalidConfigException(path, describe(value) + " (expected: true or false)");
        }
        return value.booleanValue();
    }

    private static String string(String path, JsonNode value) {
        if (value == null || value.isNull()) {
            return "";
        }
        if (!value.isTextual()) {
            throw new InvalidConfigException(path, describe(value) + " (expected: a string)");
        }
        return value.textValue();
    }

    private static double number(String path, JsonNode value) {
        if (value == null || value.isNull()) {
            return 0;
        }
        if (!value.isNumber()) {
            throw new InvalidConfigException(path, describe(value) + " (expected: a number)");
        }
        final double d = value.doubleValue();
        if (Double.isInfinite(d)) {
            throw new InvalidConfigException(path, describe(value) + " (expected: a number that fits a float64)");
        }
        return d;
    }

    private static long integer(String path, JsonNode value, long min, long max, String unit) {
        if (value == null || value.isNull()) {
            if (min > 0) {
                throw new InvalidConfigException(path, "missing (expected: >= " + min + ")");
            }
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new InvalidConfigException(path, describe(value) + " (expected: an integer"
                    + (min == Long.MIN_VALUE ? "" : " from " + min + " to " + max) + ")");
        }
        final long v = value.longValue();
        if (v < min || v > max) {
            throw new InvalidConfigException(path, v + " (expected: " + min + ".." + max
                    + (unit == null ? "" : " " + unit) + ")");
        }
        return v;
    }

    private static String describe(JsonNode value) {
        final String text = value.isTextual() ? "\"" + value.textValue() + "\"" : value.toString();
        return LogValues.escape(text, 64);
    }

    private static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    /** The policies of the three client keys as one snapshot; the circuit breaker wildcard left to the caller. */
    static ClientPolicies combine(Map<String, RetryPolicy> retry, Map<String, TimeoutPolicy> timeouts,
                                  Map<String, CircuitBreakerConfig> breakers) {
        final ClientPolicies.Builder b = ClientPolicies.builder();
        retry.forEach(b::retry);
        timeouts.forEach(b::timeout);
        breakers.forEach(b::circuitBreaker);
        return b.build();
    }
}
