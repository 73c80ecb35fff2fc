package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ClientClosedException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A fixed number of shared, multiplexed connections per address, used in turn (Kitex's
 * {@code WithMuxConnection(n)}). A slot whose connection failed, closed or is draining is
 * reconnected by the next call that lands on it; calls that arrive while it connects wait for the
 * same connection.
 */
final class MuxConnectionPool implements ConnectionProvider {

    private final Connector connector;
    private final int connectionsPerAddress;
    private final int maxFrameBytes;
    private final ConcurrentHashMap<String, Slots> byAddress = new ConcurrentHashMap<>();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final AcquisitionCounter acquisitions = new AcquisitionCounter();
    private volatile boolean closed;

    MuxConnectionPool(Connector connector, int connectionsPerAddress, int maxFrameBytes) {
        this.connector = connector;
        this.connectionsPerAddress = connectionsPerAddress;
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public CompletableFuture<ClientConnection> acquire(String address, int connectTimeoutMillis) {
        if (closed) {
            return CompletableFuture.failedFuture(new ClientClosedException("client is closed"));
        }
        final Slots slots = byAddress.computeIfAbsent(address, a -> new Slots(connectionsPerAddress));
        final int start = slots.next.getAndIncrement();
        // Each call takes the next slot in turn; a slot connects on first use and reconnects when
        // its connection is gone or draining.
        final int index = Math.floorMod(start, connectionsPerAddress);
        while (true) {
            final CompletableFuture<ClientConnection> f = slots.slots.get(index);
            if (f != null && (!f.isDone() || live(f))) {
                return f;
            }
            final CompletableFuture<ClientConnection> fresh = new CompletableFuture<>();
            if (slots.slots.compareAndSet(index, f, fresh)) {
                connect(address, connectTimeoutMillis, fresh);
                return fresh;
            }
        }
    }

    private static boolean live(CompletableFuture<ClientConnection> f) {
        return !f.isCompletedExceptionally() && ((MuxConnection) f.join()).usable();
    }

    private void connect(String address, int connectTimeoutMillis, CompletableFuture<ClientConnection> result) {
        final MuxConnection[] holder = new MuxConnection[1];
        connector.connect(address, connectTimeoutMillis, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                final MuxConnection c = new MuxConnection(ch, address);
                holder[0] = c;
                ch.pipeline().addLast(new KitexFrameDecoder(maxFrameBytes), new KitexFrameEncoder(), c.new Handler());
            }
        }).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new ConnectFailedException(
                        "connect to " + address + " failed: " + f.cause().getMessage(), f.cause()));
                return;
            }
            // Whoever listens there is alive again, for every client of the process.
            RefusedAddresses.shared().onConnected(address);
            final MuxConnection c = holder[0];
            channels.add(c.channel);
            c.channel.closeFuture().addListener(cf -> channels.remove(c.channel));
            if (closed) {
                c.channel.close();
                result.completeExceptionally(new ClientClosedException("client is closed"));
                return;
            }
            result.complete(c);
        });
    }

    @Override
    public void evict(String address) {
        final Slots slots = byAddress.remove(address);
        if (slots == null) {
            return;
        }
        for (int i = 0; i < connectionsPerAddress; i++) {
            final CompletableFuture<ClientConnection> f = slots.slots.get(i);
            if (f != null) {
                f.thenAccept(c -> ((MuxConnection) c).drain());
            }
        }
    }

    @Override
    public int openConnections() {
        return channels.size();
    }

    @Override
    public int idleConnections() {
        return 0;
    }

    @Override
    public boolean multiplexed() {
        return true;
    }

    @Override
    public AcquisitionCounter acquisitionCounter() {
        return acquisitions;
    }

    @Override
    public void close() {
        closed = true;
        for (Channel ch : channels) {
            ch.close();
        }
    }

    private static final class Slots {
        final AtomicReferenceArray<CompletableFuture<ClientConnection>> slots;
        final AtomicInteger next = new AtomicInteger();

        Slots(int n) {
            slots = new AtomicReferenceArray<>(n);
        }
    }
}
