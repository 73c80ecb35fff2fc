package io.kitex4j.configetcd;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.kitex4j.configetcd.internal.KeyWatch;
import io.kitex4j.configetcd.internal.PathTemplate;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.governance.ClientPolicies;
import io.kitex4j.governance.TimeoutPolicy;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kitex governance from etcd, as kitex-contrib/config-etcd v0.2.0 keeps it: the same keys, the same JSON,
 * applied live. One watcher serves any number of clients and servers of a process.
 *
 * <pre>{@code
 * EtcdConfigWatcher config = EtcdConfigWatcher.builder().endpoints("http://127.0.0.1:2379").build();
 * ClientPolicySource policies = config.clientPolicies("frontend", "echo");   // caller, callee
 * // reads /KitexConfig/frontend/echo/{retry,rpc_timeout,circuit_break} and watches them
 * EtcdServerLimits limits = config.serverLimits("echo",
 *         l -> server.updateLimits(l.connectionLimit(), l.qpsLimit()));  // /KitexConfig/echo/limit
 * }</pre>
 *
 * <h2>Keys</h2>
 * {@code <prefix>/<path>}, with prefix {@value #DEFAULT_PREFIX} and the paths
 * {@value #DEFAULT_CLIENT_PATH_FORMAT} (client: caller, callee, category) and
 * {@value #DEFAULT_SERVER_PATH_FORMAT} (server), as Go templates (config-etcd's {@code Options}); the
 * categories are {@link ConfigKind#category()}.
 *
 * <h2>Values</h2>
 * Parsed by {@link KitexConfigParser}. A value that is not accepted (not JSON, larger than
 * {@link Builder#maxValueBytes(int)}, out of Kitex's bounds) leaves the last good config of that key in
 * force, logs one WARN naming the key (at most one per key every 10 s; repeats at DEBUG) and is reported
 * to the {@link ConfigListener}s as {@link ConfigEvent.Type#REJECTED}. A deleted key goes back to the
 * defaults, as config-etcd does: no retry, the client's timeouts (or {@link Builder#defaultTimeout}),
 * Kitex's default breaker; no server limits.
 *
 * <h2>etcd outages</h2>
 * {@link #clientPolicies} and {@link #serverLimits} read their keys before they return, waiting up to
 * {@link Builder#timeout(Duration)} (5 s, config-etcd's); if etcd does not answer they start with the
 * defaults and apply the keys when it does. While etcd is away the config in force stays; when it is back
 * each key is read again (so changes and deletions made meanwhile apply) and watched again.
 *
 * <h2>Threads</h2>
 * One daemon thread per watcher, {@code kitex4j-config-etcd-<n>}, does all the bookkeeping and calls the
 * listeners. {@link EtcdClientPolicies#current()} is a volatile read.
 */
public final class EtcdConfigWatcher implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(EtcdConfigWatcher.class);

    /** config-etcd's default prefix ({@code EtcdDefaultConfigPrefix}). */
    public static final String DEFAULT_PREFIX = "/KitexConfig";
    /** config-etcd's default client path ({@code EtcdDefaultClientPath}). */
    public static final String DEFAULT_CLIENT_PATH_FORMAT = "{{.ClientServiceName}}/{{.ServerServiceName}}/{{.Category}}";
    /** config-etcd's default server path ({@code EtcdDefaultServerPath}). */
    public static final String DEFAULT_SERVER_PATH_FORMAT = "{{.ServerServiceName}}/{{.Category}}";
    /** config-etcd's default etcd timeout ({@code EtcdDefaultTimeout}), here for the first read of a key. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** The largest value read by default; a larger one is rejected without being parsed. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
    /**
     * The timeouts a Go client with config-etcd's client suite uses for a method with no {@code rpc_timeout}
     * entry ({@code rpctimeout}'s default: 1000 ms RPC, 50 ms connect); see {@link Builder#defaultTimeout}.
     */
    public static final TimeoutPolicy KITEX_DEFAULT_TIMEOUT = new TimeoutPolicy(Duration.ofSeconds(1),
            Duration.ofMillis(50));

    static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Client client;
    private final AutoCloseable owned;
    private final PathTemplate prefix;
    private final PathTemplate clientPath;
    private final PathTemplate serverPath;
    private final int maxValueBytes;
    private final Duration timeout;
    private final TimeoutPolicy defaultTimeout;
    private final List<ConfigListener> listeners;
    final ScheduledThreadPoolExecutor loop;
    private final CopyOnWriteArrayList<AutoCloseable> handles = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private EtcdConfigWatcher(Builder b, Client client, AutoCloseable owned, PathTemplate prefix,
                              PathTemplate clientPath, PathTemplate serverPath) {
        this.client = client;
        this.owned = owned;
        this.prefix = prefix;
        this.clientPath = clientPath;
        this.serverPath = serverPath;
        this.maxValueBytes = b.maxValueBytes;
        this.timeout = b.timeout;
        this.defaultTimeout = b.defaultTimeout;
        this.listeners = List.copyOf(b.listeners);
        final String name = "kitex4j-config-etcd-" + THREADS.incrementAndGet();
        this.loop = new ScheduledThreadPoolExecutor(1, r -> {
            final Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        loop.setRemoveOnCancelPolicy(true);
        // After close(), no backoff timer may start another etcd call on the closed client.
        loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** A builder; set one of endpoints, etcd config, connection or client. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The etcd key of a client category: {@code <prefix>/<clientPath>} rendered with caller, callee and
     * {@code kind}'s category, as config-etcd's {@code ClientConfigParam}.
     *
     * @throws IllegalArgumentException if {@code kind} is a server category
     */
    public String clientKey(String caller, String callee, ConfigKind kind) {
        requireNonNull(kind, "kind");
        if (kind.isServer()) {
            throw new IllegalArgumentException("kind: " + kind + " (expected: a client category)");
        }
        final Map<String, String> values = Map.of("Category", kind.category(),
                "ClientServiceName", requireNonNull(caller, "caller"),
                "ServerServiceName", requireNonNull(callee, "callee"));
        return prefix.render(values) + "/" + clientPath.render(values);
    }

    /**
     * The etcd key of a server category: {@code <prefix>/<serverPath>}, as config-etcd's {@code ServerConfigParam}.
     *
     * @throws IllegalArgumentException if {@code kind} is a client category
     */
    public String serverKey(String server, ConfigKind kind) {
        requireNonNull(kind, "kind");
        if (!kind.isServer()) {
            throw new IllegalArgumentException("kind: " + kind + " (expected: a server category)");
        }
        final Map<String, String> values = Map.of("Category", kind.category(),
                "ServerServiceName", requireNonNull(server, "server"));
        return prefix.render(values) + "/" + serverPath.render(values);
    }

    /**
     * The live policies of {@code caller} calling {@code callee}, from the {@code retry}, {@code rpc_timeout}
     * and {@code circuit_break} keys; read before this returns (up to the timeout), then watched until the
     * handle or the watcher is closed. Pass it to {@code ClientGovernance.builder().policies(...)}.
     *
     * @param caller the client's own service name (config-etcd's {@code ClientServiceName})
     * @param callee the service it calls ({@code ServerServiceName})
     * @throws IllegalStateException if the watcher is closed
     */
    public EtcdClientPolicies clientPolicies(String caller, String callee) {
        checkOpen();
        final EtcdClientPolicies handle = new EtcdClientPolicies(this, caller, callee,
                clientKey(caller, callee, ConfigKind.RETRY), clientKey(caller, callee, ConfigKind.RPC_TIMEOUT),
                clientKey(caller, callee, ConfigKind.CIRCUIT_BREAK), defaultTimeout);
        handles.add(handle);
        awaitFirstReads(handle.start(), handle.toString());
        return handle;
    }

    /**
     * The live limits of {@code server} from its {@code limit} key, given to {@code listener} (see
     * {@link LimitsListener} for when); read before this returns (up to the timeout).
     *
     * @throws IllegalStateException if the watcher is closed
     */
    public EtcdServerLimits serverLimits(String server, LimitsListener listener) {
        checkOpen();
        requireNonNull(listener, "listener");
        final EtcdServerLimits handle = new EtcdServerLimits(this, serverKey(server, ConfigKind.LIMIT), listener);
        handles.add(handle);
        awaitFirstReads(handle.start(), handle.toString());
        return handle;
    }

    private void awaitFirstReads(CompletableFuture<Void> reads, String what) {
        try {
            reads.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            logger.warn("etcd did not answer within {} ms for {}; starting with the defaults, the keys apply when "
                    + "it answers", timeout.toMillis(), what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            logger.warn("Reading {} failed; starting with the defaults", what, e.getCause());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("EtcdConfigWatcher is closed");
        }
    }

    /** Stops every watch of this watcher and closes its etcd client if it opened one. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AutoCloseable h : handles) {
            try {
                h.close();
            } catch (Exception e) {
                logger.debug("Closing {} failed", h, e);
            }
        }
        loop.shutdown();
        try {
            loop.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                logger.debug("Closing the etcd client failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "EtcdConfigWatcher{prefix=" + prefix + ", clientPath=" + clientPath + ", serverPath=" + serverPath
                + (closed ? ", closed" : "") + '}';
    }

    // ---------------------------------------------------------------------------------------------
    // Shared by the handles (on the loop thread)

    KeyWatch newKeyWatch(String key, KeyWatch.Sink sink) {
        return new KeyWatch(client, loop, key, timeout, sink);
    }

    void removeHandle(AutoCloseable handle) {
        handles.remove(handle);
    }

    /**
     * The state of one key: the text last applied, the rejection last reported, and the WARN rate limit.
     * Loop thread only.
     */
    final class KeyState {
        final String key;
        final ConfigKind kind;
        String applied; // null: defaults (absent or deleted)
        String rejected;
        long lastWarnNanos = System.nanoTime() - WARN_INTERVAL_NANOS;

        KeyState(String key, ConfigKind kind) {
            this.key = key;
            this.kind = kind;
        }

        /**
         * Decides what a value means. Returns the text to parse, or {@code null} when nothing changes;
         * {@code parse} then either succeeds ({@link #applied(String)}) or fails ({@link #reject}).
         */
        String accept(byte[] value) {
            if (value == null) {
                return null;
            }
            if (value.length > maxValueBytes) {
                final String text = new String(value, 0, Math.min(value.length, 512), StandardCharsets.UTF_8);
                reject(text, new InvalidConfigException("", value.length + " bytes (expected: at most "
                        + maxValueBytes + ", the watcher's maxValueBytes)"));
                return null;
            }
            final String text = new String(value, StandardCharsets.UTF_8);
            if (text.equals(applied)) {
                rejected = null; // the good value is back: a later bad one is news again
                return null;
            }
            if (text.equals(rejected)) {
                logger.debug("config key {} still holds the value rejected before", LogValues.escape(key, 200));
                return null;
            }
            return text;
        }

        /** Whether an absent or deleted key changes anything (back to defaults). */
        boolean deleted() {
            rejected = null;
            if (applied == null) {
                return false;
            }
            applied = null;
            emit(new ConfigEvent(key, kind, ConfigEvent.Type.RESTORED_DEFAULTS, null, null));
            logger.info("config key {} deleted; back to the defaults", LogValues.escape(key, 200));
            return true;
        }

        void applied(String text) {
            applied = text;
            rejected = null;
            emit(new ConfigEvent(key, kind, ConfigEvent.Type.APPLIED, LogValues.escape(text, 512), null));
            logger.info("config key {} applied: {}", LogValues.escape(key, 200), LogValues.escape(text, 300));
        }

        void reject(String text, InvalidConfigException error) {
            rejected = text;
            final long now = System.nanoTime();
            if (now - lastWarnNanos >= WARN_INTERVAL_NANOS) {
                lastWarnNanos = now;
                logger.warn("config key {} rejected, keeping its last good config ({}): {}",
                        LogValues.escape(key, 200), applied == null ? "the defaults" : "applied before",
                        LogValues.escape(error.getMessage(), 300));
            } else {
                logger.debug("config key {} rejected again: {}", LogValues.escape(key, 200),
                        LogValues.escape(error.getMessage(), 300));
            }
            emit(new ConfigEvent(key, kind, ConfigEvent.Type.REJECTED, LogValues.escape(text, 512), error));
        }

        void note(String message) {
            logger.warn("config key {}: {}", LogValues.escape(key, 200), message);
        }
    }

    private void emit(ConfigEvent event) {
        for (ConfigListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (RuntimeException e) {
                logger.warn("A config listener threw; ignoring it", e);
            }
        }
    }

    static ClientPolicies withDefaultTimeout(ClientPolicies policies, TimeoutPolicy defaultTimeout) {
        if (defaultTimeout == null || policies.timeouts().containsKey(ClientPolicies.WILDCARD)) {
            return policies;
        }
        return policies.toBuilder().timeout(ClientPolicies.WILDCARD, defaultTimeout).build();
    }

    // ---------------------------------------------------------------------------------------------

    /** Builds an {@link EtcdConfigWatcher}; {@link #build()} checks every option. Not thread-safe. */
    public static final class Builder {
        private final List<String> endpoints = new ArrayList<>();
        private EtcdClientConfig etcd;
        private EtcdConnection connection;
        private Client client;
        private String prefix = DEFAULT_PREFIX;
        private String clientPathFormat = DEFAULT_CLIENT_PATH_FORMAT;
        private String serverPathFormat = DEFAULT_SERVER_PATH_FORMAT;
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private Duration timeout = DEFAULT_TIMEOUT;
        private TimeoutPolicy defaultTimeout;
        private final List<ConfigListener> listeners = new ArrayList<>();

        private Builder() {}

        /** Plaintext etcd endpoints ({@code http://host:port}); a client of its own, closed with the watcher. */
        public Builder endpoints(String... endpoints) {
            requireNonNull(endpoints, "endpoints");
            for (String e : endpoints) {
                this.endpoints.add(requireNonNull(e, "endpoint"));
            }
            return this;
        }

        /** How to reach etcd (TLS, credentials); a client of its own, closed with the watcher. */
        public Builder etcd(EtcdClientConfig etcd) {
            this.etcd = requireNonNull(etcd, "etcd");
            return this;
        }

        /** A shared kitex4j etcd connection (the registry's or resolver's); left open by {@link #close()}. */
        public Builder connection(EtcdConnection connection) {
            this.connection = requireNonNull(connection, "connection");
            return this;
        }

        /** An existing jetcd client; left open by {@link #close()}. */
        public Builder client(Client client) {
            this.client = requireNonNull(client, "client");
            return this;
        }

        /** The key prefix, a Go template as config-etcd's {@code Options.Prefix}; default {@value #DEFAULT_PREFIX}. */
        public Builder prefix(String prefix) {
            this.prefix = requireNonNull(prefix, "prefix");
            return this;
        }

        /** The client path ({@code Options.ClientPathFormat}); default {@value #DEFAULT_CLIENT_PATH_FORMAT}. */
        public Builder clientPathFormat(String format) {
            this.clientPathFormat = requireNonNull(format, "clientPathFormat");
            return this;
        }

        /** The server path ({@code Options.ServerPathFormat}); default {@value #DEFAULT_SERVER_PATH_FORMAT}. */
        public Builder serverPathFormat(String format) {
            this.serverPathFormat = requireNonNull(format, "serverPathFormat");
            return this;
        }

        /** The largest value accepted, in bytes; default {@value #DEFAULT_MAX_VALUE_BYTES}. */
        public Builder maxValueBytes(int maxValueBytes) {
            this.maxValueBytes = maxValueBytes;
            return this;
        }

        /** How long {@code clientPolicies}/{@code serverLimits} wait for the first read; default 5 s. */
        public Builder timeout(Duration timeout) {
            this.timeout = requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * The timeouts of a method with neither its own nor a {@code "*"} {@code rpc_timeout} entry; default
         * {@code null}: the client's own. {@link #KITEX_DEFAULT_TIMEOUT} gives what a Go client with
         * config-etcd's client suite uses (1000 ms / 50 ms) whenever the key lacks {@code "*"}.
         */
        public Builder defaultTimeout(TimeoutPolicy defaultTimeout) {
            this.defaultTimeout = defaultTimeout;
            return this;
        }

        /** Adds a listener told of every value applied, restored or rejected. */
        public Builder listener(ConfigListener listener) {
            this.listeners.add(requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * The watcher. Opens no connection to etcd yet (the first read does).
         *
         * @throws IllegalArgumentException naming the option that is wrong
         */
        public EtcdConfigWatcher build() {
            final int sources = (endpoints.isEmpty() ? 0 : 1) + (etcd != null ? 1 : 0) + (connection != null ? 1 : 0)
                    + (client != null ? 1 : 0);
            if (sources != 1) {
                throw new IllegalArgumentException("etcd: " + (sources == 0 ? "not set" : "set " + sources + " ways")
                        + " (expected: exactly one of endpoints(...), etcd(EtcdClientConfig), connection(EtcdConnection)"
                        + " and client(Client))");
            }
            if (maxValueBytes < 1) {
                throw new IllegalArgumentException("maxValueBytes: " + maxValueBytes + " (expected: >= 1)");
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
            }
            final PathTemplate p = PathTemplate.parse("prefix", prefix);
            final PathTemplate c = PathTemplate.parse("clientPathFormat", clientPathFormat);
            final PathTemplate s = PathTemplate.parse("serverPathFormat", serverPathFormat);
            if (connection != null && connection.isClosed()) {
                throw new IllegalArgumentException("connection: " + connection + " (expected: an open connection)");
            }
            final Client use;
            final AutoCloseable owned;
            if (client != null) {
                use = client;
                owned = null;
            } else if (connection != null) {
                use = connection.client();
                owned = null;
            } else {
                final EtcdClientConfig config = etcd != null ? etcd : EtcdClientConfig.builder().endpoints(endpoints).build();
                use = config.newClient();
                owned = use;
            }
            return new EtcdConfigWatcher(this, use, owned, p, c, s);
        }
    }
}
