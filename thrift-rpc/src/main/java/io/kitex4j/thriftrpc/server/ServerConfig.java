package io.kitex4j.thriftrpc.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Registry;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.thriftrpc.KitexResources;

/**
 * The settings of one {@link KitexServer}, as {@link KitexServerBuilder#build()} fixed them. Immutable:
 * the builder can be changed and built again without affecting a server already built.
 */
record ServerConfig(
        InetSocketAddress address,
        ServiceRouter router,
        String serviceName,
        List<Middleware> middlewares,
        Executor executor,
        boolean shutdownExecutorOnStop,
        int maxHandlerThreads,
        Duration handlerStallThreshold,
        KitexResources resources,
        int ioThreads,
        boolean preferNativeTransport,
        int maxFrameBytes,
        int maxNestingDepth,
        long rejectionLogPeriodNanos,
        int rejectionLogBurst,
        boolean enforceDeadline,
        boolean interruptOnDeadline,
        boolean ttheaderServerMeta,
        Registry registry,
        String registryServiceName,
        HostAndPort registryAddress,
        int weight,
        Map<String, String> tags,
        boolean requireRegistration,
        Duration exitWait,
        Duration drainTimeout,
        Duration deregisterTimeout,
        Duration idleTimeout,
        Duration readTimeout,
        int maxConnections,
        int maxConnectionsPerIp,
        int maxInFlightRequestsPerConnection,
        int maxQps,
        boolean shutdownHook,
        List<ServerListener> listeners) {

    ServerConfig {
        middlewares = List.copyOf(middlewares);
        tags = Map.copyOf(tags);
        listeners = List.copyOf(listeners);
    }

    /** Whether handlers run on the I/O threads ({@link KitexServerBuilder#directExecutor()}). */
    boolean directExecutor() {
        return executor == KitexServerBuilder.DIRECT;
    }

    /**
     * The I/O threads of the server's own event loop group: the builder's number, or else the setting that
     * did best in this repository's benchmarks (benchmarks/README.md, "What was changed for issue 5"):
     * handlers on the I/O threads do best with one thread per CPU (more only add context switches); with
     * the handler pool, two per CPU did better than one.
     */
    int effectiveIoThreads() {
        // A user's executor keeps the old default of two per CPU; the lanes and directExecutor() one per CPU.
        return ioThreads > 0 ? ioThreads : (executor != null && !directExecutor() ? 2 : 1)
                                           * Runtime.getRuntime().availableProcessors();
    }
}
