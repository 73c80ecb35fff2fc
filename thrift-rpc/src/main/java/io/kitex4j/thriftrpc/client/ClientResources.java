package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ClientClosedException;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.thriftrpc.KitexResources;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client and its {@code newBuilder()} variants share: the connection pools, the discovery
 * watches and the sequence id counter, on one {@link KitexResources}. Reference counted: the client
 * built from {@link KitexClient#builder()} and each variant hold one reference, and the last
 * {@link #release()} closes the pools and watches (and the {@code KitexResources} if they were made
 * for this client by {@code ioThreads}), so that closing any one client never breaks another.
 */
final class ClientResources {

    private static final Logger log = LoggerFactory.getLogger(ClientResources.class);

    private final KitexResources resources;
    private final boolean ownsResources;
    private final Connector connector;
    // The I/O threads' executors, for inEventLoop() on every blocking call without an iterator.
    private final io.netty.util.concurrent.EventExecutor[] loops;
    private final AtomicInteger seqIds = new AtomicInteger();
    private final AtomicInteger references = new AtomicInteger(1);
    private final ConcurrentHashMap<Object, ConnectionProvider> providers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Object, Endpoints> endpoints = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private ClientResources(KitexResources resources, boolean ownsResources) {
        this.resources = resources;
        this.ownsResources = ownsResources;
        this.connector = new Connector(resources.ioGroup(), resources.socketChannelClass());
        final java.util.List<io.netty.util.concurrent.EventExecutor> l = new java.util.ArrayList<>();
        resources.ioGroup().forEach(l::add);
        this.loops = l.toArray(new io.netty.util.concurrent.EventExecutor[0]);
    }

    /** The resources of a client built from {@link KitexClient#builder()}, with one reference. */
    static ClientResources create(ClientConfig config) {
        if (config.resources() != null) {
            return new ClientResources(config.resources(), false);
        }
        if (config.ioThreads() != null) {
            return new ClientResources(KitexResources.builder().ioThreads(config.ioThreads())
                    .threadNamePrefix("kitex4j-client").build(), true);
        }
        return new ClientResources(KitexResources.shared(), false);
    }

    /**
     * One more reference, for a variant.
     *
     * @throws IllegalStateException if the last reference is gone
     */
    ClientResources retain() {
        while (true) {
            final int n = references.get();
            if (n == 0) {
                throw new IllegalStateException("client is closed: every client sharing its resources was closed");
            }
            if (references.compareAndSet(n, n + 1)) {
                return this;
            }
        }
    }

    /** Drops a reference; the last one closes the pools and watches. */
    void release() {
        if (references.decrementAndGet() == 0) {
            close();
        }
    }

    EventLoopGroup group() {
        return resources.ioGroup();
    }

    KitexResources kitexResources() {
        return resources;
    }

    /** Kitex's {@code genSeqID}: a counter that skips 0 (reserved for mux control frames). */
    int nextSeqId() {
        int id = seqIds.incrementAndGet();
        while (id == 0) {
            id = seqIds.incrementAndGet();
        }
        return id;
    }

    /** Whether the current thread is one of the I/O threads. */
    boolean inEventLoop() {
        for (io.netty.util.concurrent.EventExecutor e : loops) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    ConnectionProvider pool(ClientConfig c) {
        if (c.muxConnections() > 0) {
            return provider(List.of("mux", c.muxConnections(), c.maxFrameBytes()),
                    () -> new MuxConnectionPool(connector, c.muxConnections(), c.maxFrameBytes()));
        }
        final Duration idleTimeout = c.maxIdleTimeout();
        return provider(List.of("pool", c.maxIdlePerAddress(), c.maxIdleGlobal(), idleTimeout, c.maxFrameBytes(),
                        c.maxNestingDepth()),
                () -> new ConnectionPool(connector, resources.ioGroup(), c.maxIdlePerAddress(), c.maxIdleGlobal(),
                        idleTimeout, c.maxFrameBytes(), c.maxNestingDepth()));
    }

    /**
     * The endpoints of {@code c}, created once and shared by every client with the same discovery
     * settings (so variants share one watch and one picker).
     */
    Endpoints endpoints(ClientConfig c, ConnectionProvider connections) {
        if (c.resolver() != null) {
            final Resolver r = c.resolver();
            final String s = c.service();
            final LoadBalancer lb = c.loadBalancer();
            final Endpoints e = endpoints(List.of("resolver", r, s, lb, c.avoidRefusedInstances(), gateKey(c)),
                    () -> new DiscoveredEndpoints(r, s, lb, c.refusedInstancePolicy(), c.instanceGate()));
            e.evictOnRemoval(connections);
            return e;
        }
        return endpoints(List.of("fixed", c.instances(), c.loadBalancer(), c.avoidRefusedInstances(), gateKey(c)),
                () -> new FixedEndpoints(c.instances(), c.loadBalancer(), c.refusedInstancePolicy(), c.instanceGate()));
    }

    // Variants with another gate need pickers of their own (List.of takes no null).
    private static Object gateKey(ClientConfig c) {
        return c.instanceGate() != null ? c.instanceGate() : "no gate";
    }

    private ConnectionProvider provider(Object key, Supplier<ConnectionProvider> factory) {
        checkOpen();
        final ConnectionProvider p = providers.computeIfAbsent(key, k -> factory.get());
        if (closed) {
            p.close();
            checkOpen();
        }
        return p;
    }

    private Endpoints endpoints(Object key, Supplier<Endpoints> factory) {
        checkOpen();
        final Endpoints e = endpoints.computeIfAbsent(key, k -> factory.get());
        if (closed) {
            e.close();
            checkOpen();
        }
        return e;
    }

    private void checkOpen() {
        if (isClosed()) {
            throw new ClientClosedException("client is closed");
        }
    }

    /** Whether calls can no longer be made: the last client was closed, or the {@link KitexResources}. */
    boolean isClosed() {
        return closed || resources.isClosed();
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        final List<AutoCloseable> all = new ArrayList<>();
        all.addAll(endpoints.values());
        all.addAll(providers.values());
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("Failed to close {}", c, e);
            }
        }
        if (ownsResources) {
            resources.close();
        }
    }
}
