package io.kitex4j.micrometer;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.micrometer.internal.BreakerMeters;
import io.kitex4j.micrometer.internal.PoolMeters;
import io.kitex4j.micrometer.internal.SideMetrics;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Micrometer meters for kitex4j clients and servers, in the style of Armeria's and grpc-java's: requests by result,
 * duration timers, active requests, attempts, and a client's connection pool. The meters and their tags are listed
 * in the module's README.
 *
 * <pre>{@code
 * KitexMetrics metrics = KitexMetrics.builder()
 *         .meterRegistry(registry)                  // required
 *         .prefix("kitex")                          // the default
 *         .percentileHistograms(true)               // default false
 *         .build();
 * KitexClient client = KitexClient.builder().service("echo").addresses("127.0.0.1:8888")
 *         .middleware(metrics.clientMiddleware())  // first: outermost
 *         .build();
 * metrics.bindConnectionPool(client);
 * KitexServer server = KitexServer.builder().port(8888).service(EchoServer.class, handler)
 *         .middleware(metrics.serverMiddleware())
 *         .build();
 * }</pre>
 *
 * <p><b>Results</b> (tag {@code result}), from {@link io.kitex4j.core.rpc.CallOutcome}: {@code success};
 * {@code biz_error} for a {@link io.kitex4j.core.BizStatusException} or an IDL-declared exception; {@code timeout}
 * for an {@link io.kitex4j.core.RpcTimeoutException}; {@code failure} for anything else (a cancelled call included).
 * Timeouts are counted by this tag, not by a meter of their own.
 *
 * <p><b>Bounded tags</b>: per side, at most {@link #MAX_TAG_VALUES} distinct callers and callees, and as many methods
 * per callee, are tagged as they are; later values are tagged {@code other} (a server's callers come from the wire).
 * Empty values are tagged {@code unknown}. No tag carries an address or an error message.
 *
 * <p><b>Where to put the middleware</b>: first (outermost), so that it sees each logical call once, and its
 * {@code attempts} are the invocations of the client's transport made by retrying middleware inside it. The
 * client's own connection-level retries (a connect refused, a reused connection found closed) happen within one
 * attempt and are not counted as attempts.
 *
 * <p>Instances are immutable and thread-safe. Build one per registry and prefix: two on the same registry and prefix
 * would share meters, but the active requests gauges would follow the first one's calls only.
 */
public final class KitexMetrics {

    /** The most distinct values of a tag ({@code caller}, {@code callee}; {@code method} per callee) per side. */
    public static final int MAX_TAG_VALUES = 256;

    /** The default prefix of the meter names. */
    public static final String DEFAULT_PREFIX = "kitex";

    private final MeterRegistry registry;
    private final String prefix;
    private final boolean percentileHistograms;
    private final Middleware client;
    private final Middleware server;
    // A BreakerMeters once asked for; Object so that this class loads without kitex4j-governance.
    private volatile Object breakerListener;

    private KitexMetrics(Builder b) {
        this.registry = b.meterRegistry;
        this.prefix = b.prefix;
        this.percentileHistograms = b.percentileHistograms;
        this.client = new SideMetrics(registry, prefix, percentileHistograms, CallContext.Side.CLIENT, MAX_TAG_VALUES);
        this.server = new SideMetrics(registry, prefix, percentileHistograms, CallContext.Side.SERVER, MAX_TAG_VALUES);
    }

    /** A builder; {@link Builder#meterRegistry} must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The client middleware: {@code <prefix>.client.requests}, {@code .duration}, {@code .active.requests} and
     * {@code .attempts}. Put it first (outermost).
     */
    public Middleware clientMiddleware() {
        return client;
    }

    /**
     * The server middleware: {@code <prefix>.server.requests}, {@code .duration} and {@code .active.requests}, around
     * the handler (and the middleware after this one). Put it first (outermost).
     */
    public Middleware serverMiddleware() {
        return server;
    }

    /**
     * Registers the meters of {@code client}'s connection pool ({@link KitexClient#connectionPoolStats()}):
     * {@code <prefix>.client.connections.open}, {@code .idle} and {@code .acquisition}, tagged with the client's
     * {@code caller} ({@code fromService}) and {@code callee} ({@code service}). They read the pool when the
     * registry publishes. A client and its {@link KitexClient#newBuilder()} variants with the same pool settings
     * share one pool; bind one of them. Needs kitex4j-thrift-rpc on the class path.
     */
    public void bindConnectionPool(KitexClient client) {
        requireNonNull(client, "client");
        PoolMeters.bind(registry, prefix, client);
    }

    /**
     * A listener for {@code ServiceCircuitBreakers} and {@code InstanceCircuitBreakers} (kitex4j-governance, which
     * must be on the class path): {@code <prefix>.circuit.breaker.transitions} counts state changes, tagged {@code
     * scope} ({@code service}, {@code instance}), {@code from} and {@code to} ({@code closed}, {@code open}, {@code
     * half_open}); {@code <prefix>.circuit.breakers} gauges the breakers open and half open, tagged {@code scope} and
     * {@code state}. No tag names a breaker's key. The same listener every time; give it to each breaker builder's
     * {@code listener(...)}.
     */
    public io.kitex4j.governance.CircuitBreakerListener circuitBreakerListener() {
        Object l = breakerListener;
        if (l == null) {
            synchronized (this) {
                l = breakerListener;
                if (l == null) {
                    l = new BreakerMeters(registry, prefix);
                    breakerListener = l;
                }
            }
        }
        return (io.kitex4j.governance.CircuitBreakerListener) l;
    }

    /** The registry the meters are registered in. */
    public MeterRegistry meterRegistry() {
        return registry;
    }

    /** The prefix of the meter names. */
    public String prefix() {
        return prefix;
    }

    /** Whether the duration timers publish percentile histograms. */
    public boolean percentileHistograms() {
        return percentileHistograms;
    }

    @Override
    public String toString() {
        return "KitexMetrics{prefix=" + prefix + ", percentileHistograms=" + percentileHistograms + '}';
    }

    /** Builds a {@link KitexMetrics}. Not thread-safe; {@link #build()} may be called more than once. */
    public static final class Builder {

        private MeterRegistry meterRegistry;
        private String prefix = DEFAULT_PREFIX;
        private boolean percentileHistograms;

        private Builder() {
        }

        /** The registry to register the meters in. Required. */
        public Builder meterRegistry(MeterRegistry meterRegistry) {
            this.meterRegistry = meterRegistry;
            return this;
        }

        /**
         * The first segment of every meter name, e.g. {@code kitex} for {@code kitex.client.requests}
         * (Prometheus: {@code kitex_client_requests_total}). Default: {@value KitexMetrics#DEFAULT_PREFIX}.
         */
        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        /**
         * Whether the duration timers publish percentile histograms (Prometheus {@code _bucket} series, for
         * {@code histogram_quantile}). Default: false, count, sum and max only.
         */
        public Builder percentileHistograms(boolean percentileHistograms) {
            this.percentileHistograms = percentileHistograms;
            return this;
        }

        /**
         * The metrics.
         *
         * @throws IllegalArgumentException if no registry was set, or the prefix is empty or not a dotted name
         */
        public KitexMetrics build() {
            if (meterRegistry == null) {
                throw new IllegalArgumentException("meterRegistry: null (expected: a MeterRegistry)");
            }
            if (prefix == null || !prefix.matches("[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z][A-Za-z0-9_]*)*")) {
                throw new IllegalArgumentException("prefix: " + (prefix == null ? "null" : '"' + prefix + '"')
                        + " (expected: a dotted meter name such as kitex or my.rpc)");
            }
            return new KitexMetrics(this);
        }
    }
}
