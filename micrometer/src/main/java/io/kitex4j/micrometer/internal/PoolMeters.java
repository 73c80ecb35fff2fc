package io.kitex4j.micrometer.internal;

import java.util.concurrent.TimeUnit;

import io.kitex4j.thriftrpc.client.ConnectionPoolStats;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * The connection pool meters of a client: two gauges and a function timer reading its
 * {@link ConnectionPoolStats} when the registry publishes; nothing on the call path. Kept apart from
 * {@code KitexMetrics} so that only binding a pool needs kitex4j-thrift-rpc on the class path. Not API.
 */
public final class PoolMeters {

    private PoolMeters() {
    }

    /** Registers the pool meters of {@code client} into {@code registry}. */
    public static void bind(MeterRegistry registry, String prefix, KitexClient client) {
        final ConnectionPoolStats stats = client.connectionPoolStats();
        final Tags tags = Tags.of("caller", TagValues.orUnknown(client.fromService()), "callee", TagValues.orUnknown(client.service()));
        final String base = prefix + ".client.connections.";
        Gauge.builder(base + "open", stats, ConnectionPoolStats::openConnections).tags(tags)
             .description("Open connections of the client's pool, idle or in use").register(registry);
        Gauge.builder(base + "idle", stats, ConnectionPoolStats::idleConnections).tags(tags)
             .description("Idle connections kept by the client's pool (0 when multiplexed)").register(registry);
        FunctionTimer.builder(base + "acquisition", stats, ConnectionPoolStats::acquisitions,
                              ConnectionPoolStats::acquisitionTimeNanos, TimeUnit.NANOSECONDS).tags(tags)
                     .description("Connections obtained from the pool for an attempt, and how long that took")
                     .register(registry);
    }
}
