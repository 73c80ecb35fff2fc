package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.HostAndPort;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Opens TCP connections to {@code host:port} addresses on the client's event loop group. */
final class Connector {

    private final Bootstrap base;

    Connector(EventLoopGroup group, Class<? extends Channel> channelClass) {
        this.base = new Bootstrap()
                .group(group)
                .channel(channelClass)
                // Requests are small and latency-bound; Nagle would hold them back.
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
    }

    /**
     * Connects. The returned future fails with an {@link IllegalArgumentException} if the address
     * cannot be parsed.
     */
    Future<Void> connect(String address, int connectTimeoutMillis, ChannelInitializer<Channel> initializer) {
        final InetSocketAddress remote;
        try {
            remote = toSocketAddress(address);
        } catch (IllegalArgumentException e) {
            return base.config().group().next().newFailedFuture(e);
        }
        return base.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(initializer)
                .connect(remote);
    }

    static InetSocketAddress toSocketAddress(String address) {
        final HostAndPort hp = HostAndPort.parse(address);
        final InetAddress literal = NetUtil.createInetAddressFromIpAddressString(hp.host());
        // A host name is left unresolved so that Netty resolves it at connect time, off the
        // caller's thread, and picks up DNS changes on every new connection.
        return literal != null ? new InetSocketAddress(literal, hp.port())
                : InetSocketAddress.createUnresolved(hp.host(), hp.port());
    }

    /**
     * The last address {@link #toSocketAddress parsed}, and what it parsed to: a client that calls one address
     * (or mostly one) parses it once, and every call gets the same {@link InetSocketAddress}. Thread-safe: one
     * immutable pair, replaced on a miss.
     */
    static final class LastAddress {

        private record Parsed(String address, InetSocketAddress socketAddress) {
        }

        private volatile Parsed last;

        /** {@link #toSocketAddress}{@code (address)}, the same object as last time when the address is the same. */
        InetSocketAddress socketAddress(String address) {
            final Parsed p = last;
            if (p != null && p.address.equals(address)) {
                return p.socketAddress;
            }
            final InetSocketAddress parsed = toSocketAddress(address);
            last = new Parsed(address, parsed);
            return parsed;
        }
    }
}
