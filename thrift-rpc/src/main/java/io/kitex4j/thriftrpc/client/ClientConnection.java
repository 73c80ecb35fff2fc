package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.ConnectFailedException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

/**
 * One connection as a call sees it. A call acquires it from a pool, sends one request, and then
 * hands it back in exactly one of three ways: {@link #recycle()}, {@link #discard()} or
 * {@link #abort(int)}.
 */
abstract class ClientConnection {

    final Channel channel;
    final String address;

    ClientConnection(Channel channel, String address) {
        this.channel = channel;
        this.address = address;
    }

    /** The allocator to encode requests with. */
    final ByteBufAllocator alloc() {
        return channel.alloc();
    }

    /** Whether several requests share this connection (TTHeader flag 0x0001). */
    abstract boolean multiplexed();

    /**
     * Writes one request. The outcome goes to {@code exchange}: the reply, a failure, or for a
     * oneway request the completed write. Takes ownership of {@code request}, the whole request with its
     * framing ({@link RequestEncoder}).
     */
    abstract void send(ByteBuf request, int seqId, Exchange exchange, boolean oneway);

    /**
     * Stops waiting for the reply to {@code seqId} after its write failed; returns whether the call
     * still waited (so that exactly one of the write listener and the inbound handler reports it).
     */
    abstract boolean forgetPending(int seqId, Exchange exchange);

    /**
     * Writes a request and reports what the write alone decides: a oneway request is done once
     * written; a failed write delivered at most a truncated frame, which no server processes, so the
     * call may go elsewhere. The stream is unusable after a partial write: the channel is closed.
     */
    final void write(ByteBuf request, Exchange exchange) {
        channel.writeAndFlush(request).addListener(exchange);
    }

    /** The outcome of {@link #write}, which the exchange (the write's listener) passes on. */
    final void onWritten(ChannelFuture f, int seqId, Exchange exchange, boolean oneway) {
        if (f.isSuccess()) {
            if (oneway) {
                exchange.onSent(this);
            }
            return;
        }
        if (oneway || forgetPending(seqId, exchange)) {
            exchange.onFailure(this, new ConnectFailedException("write to " + address + " failed: " + f.cause(),
                    f.cause()), true);
        }
        channel.close();
    }

    /** The call is done and the connection is healthy: it may serve another call. */
    abstract void recycle();

    /**
     * The connection must not serve another call (an error, {@code crrst}, a oneway call): close
     * it, or for a shared multiplexed connection stop using it once its calls are done.
     */
    abstract void discard();

    /**
     * The call gave up while its request was in flight (timeout, cancellation). A reply may still
     * come, so a dedicated connection is closed; a multiplexed one forgets the sequence id.
     */
    abstract void abort(int seqId);

    @Override
    public String toString() {
        return getClass().getSimpleName() + '{' + address + ", " + channel.id().asShortText() + '}';
    }
}
