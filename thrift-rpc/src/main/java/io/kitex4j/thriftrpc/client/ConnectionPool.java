package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ClientClosedException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kitex's long-connection pool ({@code pkg/connpool/long_pool.go}): per address, a list of idle
 * connections, each carrying one request at a time.
 *
 * <p>A call takes the most recently used idle connection of the address, or connects a new one
 * (there is no limit on connections in use, as in Kitex). When the call is done the connection
 * goes back to the list, unless the address already keeps {@code maxIdlePerAddress} idle
 * connections or the pool {@code maxIdleGlobal} in all; then it is closed. Idle connections
 * older than {@code idleTimeout} are closed by a periodic sweep. Connections the server closes
 * while idle leave the list at once.
 *
 * <p>Thread-safe. Shared by a client and its {@code newBuilder()} variants with the same pool
 * settings.
 */
final class ConnectionPool implements ConnectionProvider {

    private static final Logger log = LoggerFactory.getLogger(ConnectionPool.class);

    private final Connector connector;
    private final int maxIdlePerAddress;
    private final int maxIdleGlobal;
    private final long idleTimeoutNanos;
    private final int maxFrameBytes;
    private final int maxNestingDepth;
    private final ConcurrentHashMap<String, IdleList> idle = new ConcurrentHashMap<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> sweeper;
    private final AcquisitionCounter acquisitions = new AcquisitionCounter();
    private volatile boolean closed;

    ConnectionPool(Connector connector, EventLoopGroup group, int maxIdlePerAddress, int maxIdleGlobal,
                   Duration idleTimeout, int maxFrameBytes, int maxNestingDepth) {
        this.connector = connector;
        this.maxIdlePerAddress = maxIdlePerAddress;
        this.maxIdleGlobal = maxIdleGlobal;
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.maxFrameBytes = maxFrameBytes;
        this.maxNestingDepth = maxNestingDepth;
        // Sweep often enough that a connection outlives its timeout by at most a tenth of it.
        final long periodMillis = Math.max(100, Math.min(idleTimeout.toMillis() / 10, 10_000));
        this.sweeper = group.next().scheduleWithFixedDelay(this::sweep, periodMillis, periodMillis,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public CompletableFuture<ClientConnection> acquire(String address, int connectTimeoutMillis) {
        if (closed) {
            return CompletableFuture.failedFuture(new ClientClosedException("client is closed"));
        }
        final ClientConnection c = pollIdle(address);
        return c != null ? CompletableFuture.completedFuture(c) : connect(address, connectTimeoutMillis);
    }

    @Override
    public ClientConnection pollIdle(String address) {
        if (closed) {
            return null;
        }
        final IdleList list = idle.get(address);
        if (list != null) {
            PooledConnection c;
            while ((c = list.pollNewest()) != null) {
                idleCount.decrementAndGet();
                if (c.usable()) {
                    c.reused = true;
                    return c;
                }
                c.channel.close();
            }
        }
        return null;
    }

    private CompletableFuture<ClientConnection> connect(String address, int connectTimeoutMillis) {
        final CompletableFuture<ClientConnection> result = new CompletableFuture<>();
        final PooledConnection[] holder = new PooledConnection[1];
        connector.connect(address, connectTimeoutMillis, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                final PooledConnection c = new PooledConnection(ch, address, ConnectionPool.this);
                holder[0] = c;
                ch.pipeline().addLast(c.new ReadMarker(), new KitexFrameDecoder(maxFrameBytes, maxNestingDepth),
                        new KitexFrameEncoder(), c.new Handler());
            }
        }).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new ConnectFailedException(
                        "connect to " + address + " failed: " + f.cause().getMessage(), f.cause()));
                return;
            }
            // Whoever listens there is alive again, for every client of the process.
            RefusedAddresses.shared().onConnected(address);
            final PooledConnection c = holder[0];
            channels.add(c.channel);
            c.channel.closeFuture().addListener(cf -> onClosed(c));
            if (closed) {
                c.channel.close();
                result.completeExceptionally(new ClientClosedException("client is closed"));
                return;
            }
            result.complete(c);
        });
        return result;
    }

    /** Takes back a connection whose call is done. */
    void release(PooledConnection c) {
        if (closed || !c.usable() || maxIdlePerAddress == 0) {
            c.channel.close();
            return;
        }
        c.reused = false;
        while (true) {
            final IdleList list = idle.computeIfAbsent(c.address, a -> new IdleList());
            final int offered = list.offer(c, maxIdlePerAddress, idleCount, maxIdleGlobal);
            if (offered > 0) {
                if (closed || !c.channel.isActive()) {
                    // Raced with close() or with the server closing it: take it back out.
                    if (list.remove(c)) {
                        idleCount.decrementAndGet();
                    }
                    c.channel.close();
                }
                return;
            }
            if (offered == 0) {
                c.channel.close();
                return;
            }
            // The list was dropped by the sweeper in the meantime: try the new one.
        }
    }

    private void onClosed(PooledConnection c) {
        channels.remove(c.channel);
        final IdleList list = idle.get(c.address);
        if (list != null && list.remove(c)) {
            idleCount.decrementAndGet();
        }
    }

    /** Closes the idle connections of an address that left the instance list. */
    @Override
    public void evict(String address) {
        final IdleList list = idle.get(address);
        if (list == null) {
            return;
        }
        for (PooledConnection c : list.drain()) {
            idleCount.decrementAndGet();
            c.channel.close();
        }
    }

    private void sweep() {
        final long now = System.nanoTime();
        for (var entry : idle.entrySet()) {
            final IdleList list = entry.getValue();
            for (PooledConnection c : list.expire(now, idleTimeoutNanos)) {
                idleCount.decrementAndGet();
                log.debug("Closing {}: idle longer than {} ms", c, TimeUnit.NANOSECONDS.toMillis(idleTimeoutNanos));
                c.channel.close();
            }
            if (list.dropIfEmpty()) {
                idle.remove(entry.getKey(), list);
            }
        }
    }

    @Override
    public int idleConnections() {
        return idleCount.get();
    }

    @Override
    public int openConnections() {
        return channels.size();
    }

    @Override
    public boolean multiplexed() {
        return false;
    }

    @Override
    public AcquisitionCounter acquisitionCounter() {
        return acquisitions;
    }

    /** The number of idle connections to one address, for tests. */
    int idleCount(String address) {
        final IdleList list = idle.get(address);
        return list == null ? 0 : list.size();
    }

    @Override
    public void close() {
        closed = true;
        sweeper.cancel(false);
        for (Channel ch : channels) {
            ch.close();
        }
    }

    /** The idle connections of one address, newest last. */
    private static final class IdleList {
        private final ArrayDeque<PooledConnection> deque = new ArrayDeque<>();
        private boolean dropped;

        synchronized PooledConnection pollNewest() {
            return deque.pollLast();
        }

        /** 1 if added, 0 if full, -1 if this list was dropped (retry with a new one). */
        synchronized int offer(PooledConnection c, int maxPerAddress, AtomicInteger global, int maxGlobal) {
            if (dropped) {
                return -1;
            }
            if (deque.size() >= maxPerAddress) {
                return 0;
            }
            if (global.incrementAndGet() > maxGlobal) {
                global.decrementAndGet();
                return 0;
            }
            c.idleSinceNanos = System.nanoTime();
            deque.addLast(c);
            return 1;
        }

        synchronized boolean remove(PooledConnection c) {
            return deque.remove(c);
        }

        synchronized List<PooledConnection> drain() {
            final List<PooledConnection> all = new ArrayList<>(deque);
            deque.clear();
            return all;
        }

        synchronized List<PooledConnection> expire(long now, long timeoutNanos) {
            List<PooledConnection> expired = List.of();
            for (Iterator<PooledConnection> it = deque.iterator(); it.hasNext(); ) {
                final PooledConnection c = it.next();
                if (now - c.idleSinceNanos >= timeoutNanos) {
                    if (expired.isEmpty()) {
                        expired = new ArrayList<>();
                    }
                    expired.add(c);
                    it.remove();
                }
            }
            return expired;
        }

        synchronized boolean dropIfEmpty() {
            if (deque.isEmpty()) {
                dropped = true;
                return true;
            }
            return false;
        }

        synchronized int size() {
            return deque.size();
        }
    }
}
