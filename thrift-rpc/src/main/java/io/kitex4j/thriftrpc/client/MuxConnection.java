package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ConnectionLostException;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.thrift.transport.TTransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection shared by many calls at once, as Kitex's deprecated mux transport
 * ({@code pkg/remote/trans/netpollmux}): every message is TTHeader with flag 0x0001, replies may
 * come in any order and are matched to their calls by the TTHeader sequence id, and sequence id 0
 * is a control frame from the server.
 *
 * <p>When the server says {@code crrst} (in a control frame during its graceful shutdown, or on a
 * reply), the connection is <em>draining</em>: it takes no new calls and closes when the calls it
 * carries are done. Kitex's mux client instead waits for the server to close it; closing it
 * ourselves once idle frees the socket sooner and is harmless to the server.
 */
final class MuxConnection extends ClientConnection {

    private static final Logger log = LoggerFactory.getLogger(MuxConnection.class);

    private final ConcurrentHashMap<Integer, Exchange> pending = new ConcurrentHashMap<>();
    private volatile boolean draining;

    MuxConnection(Channel channel, String address) {
        super(channel, address);
    }

    @Override
    boolean multiplexed() {
        return true;
    }

    @Override
    void send(ByteBuf request, int seqId, Exchange exchange, boolean oneway) {
        if (!oneway) {
            pending.put(seqId, exchange);
        }
        write(request, exchange);
    }

    @Override
    boolean forgetPending(int seqId, Exchange exchange) {
        return pending.remove(seqId, exchange);
    }

    @Override
    void recycle() {
        closeIfDrained();
    }

    @Override
    void discard() {
        // Shared: one call's error does not end the others (Kitex's muxCliConn.Close does nothing).
        closeIfDrained();
    }

    @Override
    void abort(int seqId) {
        pending.remove(seqId);
        closeIfDrained();
    }

    /** Whether new calls may use this connection. */
    boolean usable() {
        return !draining && channel.isActive();
    }

    /** Stops new calls; closes once the calls in flight are done. */
    void drain() {
        draining = true;
        closeIfDrained();
    }

    int inFlight() {
        return pending.size();
    }

    private void closeIfDrained() {
        if (draining && pending.isEmpty()) {
            channel.close();
        }
    }

    private void failAll(Throwable cause) {
        for (Integer seqId : pending.keySet()) {
            final Exchange exchange = pending.remove(seqId);
            if (exchange != null) {
                exchange.onFailure(this, cause, false);
            }
        }
    }

    /** Routes replies by sequence id; last in the pipeline. */
    final class Handler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof KitexFrame frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            final TTHeader header = frame.header();
            if (header == null) {
                frame.release();
                log.warn("{} sent a {} frame on a multiplexed connection, closing it", address, frame.transport());
                ctx.close();
                return;
            }
            if (header.strings().containsKey(MetaKeys.CRRST)) {
                draining = true;
            }
            final int seqId = header.seqId();
            final Exchange exchange = seqId == 0 ? null : pending.remove(seqId);
            if (exchange == null) {
                if (seqId != 0) {
                    log.debug("Dropping the reply with seqId {} from {}: its call is gone (timed out?)", seqId, address);
                } else {
                    log.debug("Control frame from {} (crrst={})", address, LogValues.escape(header.string(MetaKeys.CRRST)));
                }
                frame.release();
            } else {
                exchange.onFrame(MuxConnection.this, frame);
            }
            closeIfDrained();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            draining = true;
            failAll(new ConnectionLostException("connection to " + address + " closed before the reply",
                    new TTransportException(TTransportException.END_OF_FILE)));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            draining = true;
            ctx.close();
            if (cause instanceof KitexCodecException) {
                failAll(RpcCall.badReply(address, cause));
            } else {
                failAll(new ConnectionLostException("connection to " + address + " failed: " + cause, cause));
            }
        }
    }
}
