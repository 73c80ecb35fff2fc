package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.Transport;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.TimeoutProvider;
import io.kitex4j.thriftrpc.KitexResources;
import java.time.Duration;
import java.util.List;

/**
 * The checked, immutable settings of one {@link KitexClient}, made by {@link KitexClientBuilder#build()}.
 * {@link KitexClient#newBuilder()} starts a builder from them; nothing else copies them.
 *
 * @param transport as set, or {@code null} for the default ({@link #effectiveTransport()})
 * @param rpcTimeout as set, or {@code null}; {@link Duration#ZERO} means none
 * @param connectTimeout as set, or {@code null} for Kitex's default (then not sent in the TTHeader)
 * @param timeoutProvider the per-call timeouts, or {@code null}
 * @param resources the resources to run on, or {@code null} for {@link KitexResources#shared()} (or own
 *     ones of {@code ioThreads} threads)
 * @param ioThreads the threads of resources the client makes and owns, or {@code null}
 * @param instanceGate the gate its pickers ask, or {@code null}
 */
record ClientConfig(
        String service,
        String fromService,
        Resolver resolver,
        List<Instance> instances,
        LoadBalancer loadBalancer,
        Transport transport,
        Duration rpcTimeout,
        Duration connectTimeout,
        int maxAttempts,
        boolean avoidRefusedInstances,
        Duration refusedInstanceInitialBackoff,
        Duration refusedInstanceMaxBackoff,
        int maxIdlePerAddress,
        int maxIdleGlobal,
        Duration maxIdleTimeout,
        int muxConnections,
        int maxFrameBytes,
        int maxNestingDepth,
        List<Middleware> middlewares,
        TimeoutProvider timeoutProvider,
        KitexResources resources,
        Integer ioThreads,
        InstanceGate instanceGate) {

    ClientConfig {
        middlewares = List.copyOf(middlewares);
    }

    /** The transport requests go out with. */
    Transport effectiveTransport() {
        if (transport != null) {
            return transport;
        }
        return muxConnections > 0 ? Transport.TTHEADER_FRAMED : Transport.FRAMED;
    }

    /** The RPC timeout, or {@code null} for none. */
    Duration effectiveRpcTimeout() {
        return rpcTimeout == null || rpcTimeout.isZero() ? null : rpcTimeout;
    }

    /** The connect timeout in use. */
    Duration effectiveConnectTimeout() {
        return connectTimeout != null ? connectTimeout : KitexClientBuilder.DEFAULT_CONNECT_TIMEOUT;
    }

    /** The avoidance of refused instances these settings ask for; {@code null} when off. */
    RefusedInstancePolicy refusedInstancePolicy() {
        return avoidRefusedInstances ? new RefusedInstancePolicy(RefusedAddresses.shared(),
                refusedInstanceInitialBackoff.toNanos(), refusedInstanceMaxBackoff.toNanos()) : null;
    }

    String describeTarget() {
        return resolver != null ? "resolver(" + service + ")" : String.valueOf(
                instances.stream().map(Instance::address).toList());
    }
}
