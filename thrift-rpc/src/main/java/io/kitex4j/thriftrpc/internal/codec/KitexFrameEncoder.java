package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.EncoderException;

/**
 * Writes {@link KitexFrame}s in their transport's framing, without copying the payload.
 *
 * <pre>
 * BUFFERED          payload
 * FRAMED            [u32 len] + payload
 * TTHEADER          [LENGTH 0x1000 FLAGS seqId HSIZE info padding] + payload
 * TTHEADER_FRAMED   [LENGTH 0x1000 FLAGS seqId HSIZE info padding u32 len] + payload
 *                    \___ a small new buffer, exactly sized ___/   \_ the frame's own buffer _/
 * </pre>
 *
 * The framing goes into a small buffer of its own, written just before the payload as a message of
 * its own: the channel's outbound buffer holds both, the transport sends them with one gathering write
 * when flushed, and the payload is never copied (and no composite buffer is built per frame).
 * TTHeader fields are written as Kitex writes them: FLAGS as in the header (0 unless set),
 * SEQUENCE ID equal to the payload's Thrift seqId (whatever the {@link TTHeader} says), protocol id 0,
 * no transforms, and the key-value blocks as described in {@link TTHeader}. A null header is written
 * as an empty one; a header given with a transport that has none is not written, as in Kitex.
 *
 * <p>The encoder never flushes: write any number of frames and flush once, and they leave in one
 * system call. On failure (a header over the limits of {@link TTHeader}, a payload that is not a strict
 * Thrift message) the write's promise fails with a {@link KitexEncodeException}, the frame is released
 * and nothing is written, so the connection stays usable.
 *
 * <p>Stateless and {@linkplain ChannelHandler.Sharable sharable}.
 */
@ChannelHandler.Sharable
public final class KitexFrameEncoder extends ChannelOutboundHandlerAdapter {

    /** A shared instance. */
    public static final KitexFrameEncoder INSTANCE = new KitexFrameEncoder();

    /** Use {@link #INSTANCE} unless a separate instance is wanted. */
    public KitexFrameEncoder() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof KitexFrame frame)) {
            ctx.write(msg, promise);
            return;
        }
        final ByteBuf head;
        final ByteBuf payload;
        try {
            head = encodeHead(ctx.alloc(), frame);
            payload = frame.payload().retain();
        } catch (Throwable t) {
            promise.tryFailure(t instanceof EncoderException ? t : new EncoderException(t));
            return;
        } finally {
            frame.release();
        }
        if (head != null) {
            // The head's own outcome is the payload's: a failed write fails every message after it.
            ctx.write(head, new VoidChannelPromise(ctx.channel(), false));
        }
        ctx.write(payload, promise);
    }

    /**
     * Encodes {@code frame} into a buffer ready to be written. The frame is not released and its payload
     * indexes do not move; the result holds its own reference to the payload (so release both).
     *
     * @throws KitexEncodeException if the frame cannot be written (see the class description)
     */
    public static ByteBuf encode(ByteBufAllocator alloc, KitexFrame frame) {
        final ByteBuf head = encodeHead(alloc, frame);
        if (head == null) {
            return frame.payload().retainedDuplicate();
        }
        final CompositeByteBuf composite = alloc.compositeBuffer(2);
        composite.addComponent(true, head);
        composite.addComponent(true, frame.payload().retainedDuplicate());
        return composite;
    }

    /** The framing that goes before the payload (a new buffer), or null for Buffered, which has none. */
    private static ByteBuf encodeHead(ByteBufAllocator alloc, KitexFrame frame) {
        final ByteBuf payload = frame.payload();
        final Transport transport = frame.transport();
        if (transport == Transport.BUFFERED) {
            checkPayload(payload);
            return null;
        }
        final int payloadLength = payload.readableBytes();
        if (transport == Transport.FRAMED) {
            checkPayload(payload);
            return alloc.ioBuffer(4).writeInt(payloadLength);
        }
        final int seqId = checkPayload(payload);
        final TTHeader header = frame.header() == null ? TTHeader.empty() : frame.header();
        return TTHeaderCodec.encode(alloc, header, seqId, transport.isFramed(), payloadLength);
    }

    /** Checks the payload is a strict binary Thrift message and returns its seqId. */
    private static int checkPayload(ByteBuf payload) {
        try {
            return ThriftCodec.peekSeqId(payload, payload.readerIndex(), payload.readableBytes());
        } catch (KitexCodecException e) {
            throw new KitexEncodeException("payload is not a strict binary Thrift message: " + e.getMessage(), e);
        }
    }
}
