package io.kitex4j.configetcd;

import io.kitex4j.configetcd.internal.KeyWatch;
import io.kitex4j.governance.CircuitBreakerConfig;
import io.kitex4j.governance.ClientPolicies;
import io.kitex4j.governance.ClientPolicySource;
import io.kitex4j.governance.RetryPolicy;
import io.kitex4j.governance.TimeoutPolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The live policies of one caller calling one callee, from its three config-etcd keys; made by
 * {@link EtcdConfigWatcher#clientPolicies(String, String)}. {@link #current()} is a volatile read of an
 * immutable snapshot, replaced whenever a key's value is applied or deleted.
 */
public final class EtcdClientPolicies implements ClientPolicySource, AutoCloseable {

    private final EtcdConfigWatcher watcher;
    private final String caller;
    private final String callee;
    private final TimeoutPolicy defaultTimeout;
    private final EtcdConfigWatcher.KeyState retryKey;
    private final EtcdConfigWatcher.KeyState timeoutKey;
    private final EtcdConfigWatcher.KeyState breakerKey;
    private final KeyWatch[] watches;

    // Loop thread only.
    private Map<String, RetryPolicy> retry = Map.of();
    private Map<String, TimeoutPolicy> timeouts = Map.of();
    private Map<String, CircuitBreakerConfig> breakers = Map.of();

    private volatile ClientPolicies current;

    EtcdClientPolicies(EtcdConfigWatcher watcher, String caller, String callee, String retryKey, String timeoutKey,
                       String breakerKey, TimeoutPolicy defaultTimeout) {
        this.watcher = watcher;
        this.caller = caller;
        this.callee = callee;
        this.defaultTimeout = defaultTimeout;
        this.retryKey = watcher.new KeyState(retryKey, ConfigKind.RETRY);
        this.timeoutKey = watcher.new KeyState(timeoutKey, ConfigKind.RPC_TIMEOUT);
        this.breakerKey = watcher.new KeyState(breakerKey, ConfigKind.CIRCUIT_BREAK);
        this.current = EtcdConfigWatcher.withDefaultTimeout(ClientPolicies.empty(), defaultTimeout);
        this.watches = new KeyWatch[] {
            watcher.newKeyWatch(retryKey, (v, read) -> onValue(this.retryKey, v)),
            watcher.newKeyWatch(timeoutKey, (v, read) -> onValue(this.timeoutKey, v)),
            watcher.newKeyWatch(breakerKey, (v, read) -> onValue(this.breakerKey, v)),
        };
    }

    CompletableFuture<Void> start() {
        return CompletableFuture.allOf(watches[0].start(), watches[1].start(), watches[2].start());
    }

    /** The policies in force now; never {@code null}. */
    @Override
    public ClientPolicies current() {
        return current;
    }

    /** The caller ({@code ClientServiceName}). */
    public String caller() {
        return caller;
    }

    /** The callee ({@code ServerServiceName}). */
    public String callee() {
        return callee;
    }

    /** The etcd key of {@code kind} ({@link ConfigKind#RETRY}, {@link ConfigKind#RPC_TIMEOUT} or {@link ConfigKind#CIRCUIT_BREAK}). */
    public String key(ConfigKind kind) {
        return switch (kind) {
            case RETRY -> retryKey.key;
            case RPC_TIMEOUT -> timeoutKey.key;
            case CIRCUIT_BREAK -> breakerKey.key;
            case LIMIT -> throw new IllegalArgumentException("kind: LIMIT (expected: a client category)");
        };
    }

    /** Stops watching the three keys; {@link #current()} keeps its last value. Idempotent. */
    @Override
    public void close() {
        for (KeyWatch w : watches) {
            w.stop();
        }
        watcher.removeHandle(this);
    }

    private void onValue(EtcdConfigWatcher.KeyState state, byte[] value) {
        if (value == null) {
            if (state.deleted()) {
                set(state.kind, null);
            }
            return;
        }
        final String text = state.accept(value);
        if (text == null) {
            return;
        }
        final Object parsed;
        try {
            parsed = switch (state.kind) {
                case RETRY -> KitexConfigParser.parseRetry(text);
                case RPC_TIMEOUT -> KitexConfigParser.parseRpcTimeout(text);
                case CIRCUIT_BREAK -> KitexConfigParser.parseCircuitBreak(text);
                case LIMIT -> throw new AssertionError();
            };
        } catch (InvalidConfigException e) {
            state.reject(text, e);
            return;
        }
        state.applied(text);
        set(state.kind, parsed);
    }

    @SuppressWarnings("unchecked")
    private void set(ConfigKind kind, Object parsed) {
        switch (kind) {
            case RETRY -> retry = parsed == null ? Map.of() : (Map<String, RetryPolicy>) parsed;
            case RPC_TIMEOUT -> timeouts = parsed == null ? Map.of() : (Map<String, TimeoutPolicy>) parsed;
            case CIRCUIT_BREAK -> {
                final Map<String, CircuitBreakerConfig> m = parsed == null ? Map.of()
                        : (Map<String, CircuitBreakerConfig>) parsed;
                if (m.containsKey(ClientPolicies.WILDCARD)) {
                    // Kitex keys breakers by callee/method with no wildcard: "*" matches no real method in Go.
                    breakerKey.note("its \"*\" entry is ignored, as Kitex does: circuit_break has no wildcard,"
                            + " list the methods");
                    final Map<String, CircuitBreakerConfig> copy = new LinkedHashMap<>(m);
                    copy.remove(ClientPolicies.WILDCARD);
                    breakers = copy;
                } else {
                    breakers = m;
                }
            }
            case LIMIT -> throw new AssertionError();
        }
        current = EtcdConfigWatcher.withDefaultTimeout(KitexConfigParser.combine(retry, timeouts, breakers),
                defaultTimeout);
    }

    @Override
    public String toString() {
        return "EtcdClientPolicies{" + caller + " -> " + callee + ", keys " + retryKey.key + ", " + timeoutKey.key
                + ", " + breakerKey.key + '}';
    }
}
