package io.kitex4j.thriftrpc.client;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client and its {@code newBuilder()} variants share: the event loop group, the
 * connection pools, the discovery watches and the sequence id counter. Owned by the client built
 * from {@link KitexClient#builder()}; closed with it.
 */
final class ClientResources {

    private static final Logger log = LoggerFactory.getLogger(ClientResources.class);

    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Connector connector;
    private final AtomicInteger seqIds = new AtomicInteger();
    private final ConcurrentHashMap<Object, ConnectionProvider> providers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Object, Endpoints> endpoints = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private ClientResources(EventLoopGroup group, boolean ownsGroup) {
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.connector = new Connector(group, channelClass(group));
    }

    /** Resources with a new event loop group of {@code ioThreads} daemon threads. */
    static ClientResources create(int ioThreads) {
        // Daemon threads: a client that is never closed must not keep the JVM alive.
        final DefaultThreadFactory threads = new DefaultThreadFactory("kitex4j-client", true);
        final EventLoopGroup group = Epoll.isAvailable()
                ? new EpollEventLoopGroup(ioThreads, threads)
                : new NioEventLoopGroup(ioThreads, threads);
        return new ClientResources(group, true);
    }

    /** Resources on the caller's event loop group, which the caller keeps owning. */
    static ClientResources on(EventLoopGroup group) {
        return new ClientResources(group, false);
    }

    static Class<? extends Channel> channelClass(EventLoopGroup group) {
        if (group instanceof EpollEventLoopGroup) {
            return EpollSocketChannel.class;
        }
        if (group instanceof NioEventLoopGroup) {
            return NioSocketChannel.class;
        }
        throw new IllegalArgumentException("eventLoopGroup: " + group.getClass().getName()
                + " is neither an EpollEventLoopGroup nor a NioEventLoopGroup");
    }

    EventLoopGroup group() {
        return group;
    }

    /** Kitex's {@code genSeqID}: a process-wide counter that skips 0 (reserved for mux control frames). */
    int nextSeqId() {
        int id = seqIds.incrementAndGet();
        while (id == 0) {
            id = seqIds.incrementAndGet();
        }
        return id;
    }

    /** Whether the current thread is one of this group's I/O threads. */
    boolean inEventLoop() {
        // Fast path: the threads of a group we created are all FastThreadLocalThreads.
        if (ownsGroup && !(Thread.currentThread() instanceof FastThreadLocalThread)) {
            return false;
        }
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    ConnectionProvider pool(int maxIdlePerAddress, int maxIdleGlobal, Duration idleTimeout, int maxFrameBytes,
                            int maxNestingDepth) {
        return provider(List.of("pool", maxIdlePerAddress, maxIdleGlobal, idleTimeout, maxFrameBytes, maxNestingDepth),
                () -> new ConnectionPool(connector, group, maxIdlePerAddress, maxIdleGlobal, idleTimeout,
                        maxFrameBytes, maxNestingDepth));
    }

    ConnectionProvider muxPool(int connectionsPerAddress, int maxFrameBytes) {
        return provider(List.of("mux", connectionsPerAddress, maxFrameBytes),
                () -> new MuxConnectionPool(connector, connectionsPerAddress, maxFrameBytes));
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

    /**
     * The endpoints for {@code key}, created once and shared by every client with the same
     * discovery settings (so variants share one watch and one picker).
     */
    Endpoints endpoints(Object key, Supplier<Endpoints> factory) {
        checkOpen();
        final Endpoints e = endpoints.computeIfAbsent(key, k -> factory.get());
        if (closed) {
            e.close();
            checkOpen();
        }
        return e;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("client is closed");
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Stops the watches, closes every connection and, if owned, the event loop group. */
    void close() {
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
        if (ownsGroup) {
            // No quiet period: the connections are closed and no new work arrives. Waiting from one
            // of the group's own threads would never end.
            final var terminated = group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            if (!inEventLoop()) {
                terminated.syncUninterruptibly();
            }
        }
    }
}
