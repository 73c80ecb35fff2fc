package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ConnectionLostException;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.thrift.transport.TTransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long connection that carries one request at a time, as a Kitex client's (non-mux) pooled
 * connection: the next request is written only after the reply to the previous one was read, so
 * a reply always belongs to the one pending request.
 */
final class PooledConnection extends ClientConnection {

    private static final Logger log = LoggerFactory.getLogger(PooledConnection.class);

    private final ConnectionPool pool;
    private final AtomicReference<Exchange> pending = new AtomicReference<>();
    // Whether the connection came from the idle list (it may have been closed by the server
    // while idle, the classic stale-connection race).
    volatile boolean reused;
    // Whether any byte arrived since the current request was sent: if none did before the
    // connection closed, the server did not answer, and for a reused connection did not read it.
    volatile boolean bytesSeen;
    // Guarded by the pool's idle list lock.
    long idleSinceNanos;

    PooledConnection(Channel channel, String address, ConnectionPool pool) {
        super(channel, address);
        this.pool = pool;
    }

    @Override
    boolean multiplexed() {
        return false;
    }

    @Override
    void send(ByteBuf request, int seqId, Exchange exchange, boolean oneway) {
        bytesSeen = false;
        if (!oneway && !pending.compareAndSet(null, exchange)) {
            // A bug if it happens: the pool hands a connection to one call at a time.
            request.release();
            exchange.onFailure(this, new IllegalStateException("connection " + this + " is busy"), true);
            return;
        }
        write(request, exchange);
    }

    @Override
    boolean forgetPending(int seqId, Exchange exchange) {
        return pending.compareAndSet(exchange, null);
    }

    @Override
    void recycle() {
        pool.release(this);
    }

    @Override
    void discard() {
        channel.close();
    }

    @Override
    void abort(int seqId) {
        pending.set(null);
        channel.close();
    }

    /** Whether the connection can take a request: open and with none pending. */
    boolean usable() {
        return channel.isActive() && pending.get() == null;
    }

    /**
     * Whether the peer reset the connection. A TCP stack resets (rather than closes) a socket that
     * is closed with received data still unread, so a reset while our one request waits for its
     * reply means the server never read the whole request: it cannot have processed it, and the
     * call may be retried even on a fresh connection. A server that read the request and then
     * died or closed sends a FIN instead, which is never retried on a fresh connection.
     */
    static boolean isReset(Throwable cause) {
        if (!(cause instanceof IOException)) {
            return false;
        }
        final String message = cause.getMessage();
        return message != null && message.contains("Connection reset");
    }

    /** Marks that bytes arrived; sits in front of the frame decoder. */
    final class ReadMarker extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            bytesSeen = true;
            ctx.fireChannelRead(msg);
        }
    }

    /** Receives decoded frames and connection events; last in the pipeline. */
    final class Handler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof KitexFrame frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            final Exchange exchange = pending.getAndSet(null);
            if (exchange == null) {
                // A reply nobody waits for: the call timed out (and this connection is closing), or
                // the server sent something unasked. Either way the connection is out of step.
                log.debug("Unexpected frame from {} on {}, closing", address, ctx.channel());
                frame.release();
                ctx.close();
                return;
            }
            exchange.onFrame(PooledConnection.this, frame);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            final Exchange exchange = pending.getAndSet(null);
            if (exchange != null) {
                exchange.onFailure(PooledConnection.this, new ConnectionLostException(
                        "connection to " + address + " closed before the reply",
                        new TTransportException(TTransportException.END_OF_FILE)), reused && !bytesSeen);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            final Exchange exchange = pending.getAndSet(null);
            ctx.close();
            if (exchange == null) {
                log.debug("Error on idle connection {} to {}", ctx.channel(), address, cause);
                return;
            }
            if (cause instanceof KitexCodecException) {
                exchange.onFailure(PooledConnection.this, RpcCall.badReply(address, cause), false);
            } else {
                exchange.onFailure(PooledConnection.this, new ConnectionLostException(
                        "connection to " + address + " failed: " + cause, cause),
                        !bytesSeen && (reused || isReset(cause)));
            }
        }
    }
}
