package io.kitex4j.thriftrpc;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What clients and servers share, in the spirit of Armeria's {@code ClientFactory}: the I/O event loops
 * and the choice of native transport (epoll where it is available, NIO otherwise; chosen here and
 * nowhere else). One instance serves any number of clients, their {@code newBuilder()} variants and
 * servers; closing a client or server never closes it. {@link #close()} closes what it owns.
 *
 * <pre>{@code
 * try (KitexResources resources = KitexResources.builder().ioThreads(4).build()) {
 *     KitexClient client = KitexClient.builder().resources(resources)...build();
 *     ...
 * }
 * }</pre>
 *
 * Most programs use {@link #shared()}: daemon I/O threads, one per core, created on first use and never
 * closed.
 */
public final class KitexResources implements AutoCloseable {

    private static final class SharedHolder {
        static final KitexResources SHARED = sharedFrom(builder());
    }

    private final EventLoopGroup ioGroup;
    private final boolean epoll;
    private final boolean shared;
    private final AtomicBoolean closed = new AtomicBoolean();

    private KitexResources(Builder b, boolean shared) {
        this.epoll = b.preferNativeTransport && Epoll.isAvailable();
        final DefaultThreadFactory threads = new DefaultThreadFactory(b.threadNamePrefix, b.daemon);
        this.ioGroup = epoll ? new EpollEventLoopGroup(b.ioThreads, threads) : new NioEventLoopGroup(b.ioThreads, threads);
        this.shared = shared;
    }

    /** The process-wide default: daemon I/O threads, as many as cores; never closed. */
    public static KitexResources shared() {
        return SharedHolder.SHARED;
    }

    /** A builder for resources of one's own. */
    public static Builder builder() {
        return new Builder();
    }

    /** The I/O event loop group. Internal: for kitex4j's client and server. */
    public EventLoopGroup ioGroup() {
        return ioGroup;
    }

    /** Whether the native (epoll) transport is in use. */
    public boolean isNativeTransport() {
        return epoll;
    }

    /** The client socket channel class for {@link #ioGroup()}. */
    public Class<? extends Channel> socketChannelClass() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** The server socket channel class for {@link #ioGroup()}. */
    public Class<? extends ServerChannel> serverSocketChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Whether the current thread is one of the I/O threads. */
    public boolean inEventLoop() {
        for (EventExecutor e : ioGroup) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Shuts the event loops down (no quiet period: close clients and servers first) and waits up to 5 s.
     * Calls made afterwards on clients that use these resources fail. Does nothing for {@link #shared()}.
     */
    @Override
    public void close() {
        if (shared || !closed.compareAndSet(false, true)) {
            return;
        }
        final var terminated = ioGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        if (!inEventLoop()) {
            terminated.syncUninterruptibly();
        }
    }

    @Override
    public String toString() {
        return "KitexResources{" + (epoll ? "epoll" : "nio") + (shared ? ", shared" : "") + '}';
    }

    /** Builds {@link KitexResources}. */
    public static final class Builder {
        private int ioThreads = Runtime.getRuntime().availableProcessors();
        private boolean preferNativeTransport = true;
        private boolean daemon = true;
        private String threadNamePrefix = "kitex4j-io";

        private Builder() {
        }

        /** The number of I/O threads (default: the number of cores). */
        public Builder ioThreads(int ioThreads) {
            if (ioThreads < 1) {
                throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
            }
            this.ioThreads = ioThreads;
            return this;
        }

        /** Whether to use epoll where it is available (default {@code true}); NIO otherwise. */
        public Builder preferNativeTransport(boolean preferNativeTransport) {
            this.preferNativeTransport = preferNativeTransport;
            return this;
        }

        /**
         * Whether the I/O threads are daemon threads (default {@code true}: resources that are never
         * closed do not keep the JVM alive; a server keeps it alive by its own means).
         */
        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            return this;
        }

        /** The I/O threads' name prefix (default {@code kitex4j-io}). */
        public Builder threadNamePrefix(String threadNamePrefix) {
            requireNonNull(threadNamePrefix, "threadNamePrefix");
            if (threadNamePrefix.isEmpty()) {
                throw new IllegalArgumentException("threadNamePrefix: empty (expected: a non-empty name)");
            }
            this.threadNamePrefix = threadNamePrefix;
            return this;
        }

        /** New resources; close them when done. */
        public KitexResources build() {
            return new KitexResources(this, false);
        }
    }

    static KitexResources sharedFrom(Builder b) {
        return new KitexResources(b, true);
    }
}
