package io.kitex4j.thriftrpc.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.KitexErrorTypes;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * Serves one connection: takes decoded {@link KitexFrame}s, runs one call at a time on the handler
 * executor and writes the responses in request order.
 *
 * <p>One call at a time is what Kitex does: netpoll calls {@code OnRequest} serially per connection
 * and Kitex's {@code OnRead} handles one message per call, so pipelined requests are answered in
 * order with no concurrency within a connection (kitex-wire.md §6). The one exception: an asynchronous call
 * still pending from a peer that set TTHeader flag 0x0001 (out-of-order replies, Kitex's mux clients) lets the
 * next request start, as Kitex's mux server runs each request on its own; replies are then written as calls
 * complete. Requests that arrive while a call runs wait in {@link #pending}; when {@link ServerLimits#maxInFlightRequestsPerConnection()} are
 * read and not answered, both the decoder and the socket reads pause (back-pressure through TCP), so no
 * more frames are decoded until a call is answered.
 *
 * <p>A frame that has started (its first bytes are in the decoder) must arrive whole within the
 * {@linkplain ServerLimits#readTimeoutNanos() read timeout}, or the connection is closed. The time is
 * checked by a task scheduled only when a read ends in the middle of a frame, so a call whose frame
 * arrives in one read costs nothing more.
 *
 * <p>All fields are confined to the channel's event loop. Unless the server was built with
 * {@link KitexServerBuilder#directExecutor()}, handlers never run here: the only work done on the
 * event loop is routing (a map lookup) and writing.
 */
final class ServerConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(ServerConnectionHandler.class);

    private final CallDispatcher dispatcher;
    private final ServerLimits limits;
    private final KitexFrameDecoder decoder;
    private final ArrayDeque<PendingRequest> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    // The lane of this connection's I/O thread, or null when the server has an executor (or directExecutor()).
    private HandlerLanes.Lane lane;
    private InetSocketAddress remoteAddress;
    // Calls started and not answered (one, or more when asynchronous calls of a mux peer are pending).
    private int running;
    // The call the next request waits for (the one running, unless it went asynchronous on a connection
    // whose peer takes replies out of order); null when the next request may start.
    private ServerCall blockingCall;
    // No further requests are taken: input was malformed, or the server drains. The connection
    // closes once the requests already read are answered.
    private boolean inputClosed;
    private boolean closed;
    // drain() is running: a call that completes inside it (a direct executor) must not re-enter it.
    private boolean draining;
    // The reply to a request the decoder refused after its header (a Buffered message nested too deep),
    // written when the requests read before it are answered; then the connection closes.
    private ServerCall.Reply lastReply;

    // 0: never closed for idleness. Otherwise idle means nothing was read or written for this long,
    // and no call is running or waiting.
    private final long idleTimeoutNanos;
    private long lastActivityNanos;
    private ScheduledFuture<?> idleCheck;

    // Counted by the connection limits (also when refused); released when the channel closes.
    private boolean countedByLimits;
    private InetAddress remoteIp;
    // Reads (and decoding) paused because the in-flight limit was reached.
    private boolean readsPaused;
    // When the frame the decoder holds the start of began (System.nanoTime()), or 0 between frames.
    private long frameStartNanos;
    private ScheduledFuture<?> readTimeoutCheck;

    ServerConnectionHandler(CallDispatcher dispatcher, long idleTimeoutNanos, ServerLimits limits,
                            KitexFrameDecoder decoder) {
        this.dispatcher = dispatcher;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.limits = limits;
        this.decoder = decoder;
    }

    InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        final HandlerLanes lanes = dispatcher.lanes();
        lane = lanes == null ? null : lanes.lane(ctx.executor());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        final SocketAddress addr = ctx.channel().remoteAddress();
        remoteAddress = addr instanceof InetSocketAddress ? (InetSocketAddress) addr : null;
        remoteIp = remoteAddress == null ? null : remoteAddress.getAddress();
        countedByLimits = true;
        if (!limits.connectionOpened(remoteIp)) {
            // Kitex closes a connection over its limit when it becomes active (OnActive), unread.
            closed = true;
            ctx.close();
            return;
        }
        if (!dispatcher.connectionOpened(this)) {
            closed = true;
            ctx.close();
            return;
        }
        if (idleTimeoutNanos > 0) {
            lastActivityNanos = System.nanoTime();
            idleCheck = ctx.executor().schedule(this::checkIdle, idleTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof KitexFrame) || inputClosed || closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!limits.requestRead(remoteAddress)) {
            // Kitex's inbound OnRead refuses before the request is read: the connection closes, unanswered.
            ReferenceCountUtil.release(msg);
            closed = true;
            releasePending();
            ctx.close();
            return;
        }
        // The deadline counts from here, not from when the call reaches the head of the queue.
        final long now = System.nanoTime();
        lastActivityNanos = now;
        frameStartNanos = 0;
        pending.add(new PendingRequest((KitexFrame) msg, now));
        drain();
        pauseReadsIfFull();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        final long readTimeoutNanos = limits.readTimeoutNanos();
        if (readTimeoutNanos > 0 && !closed && !inputClosed) {
            if (decoder.bufferedBytes() == 0) {
                frameStartNanos = 0;
            } else if (frameStartNanos == 0) {
                frameStartNanos = System.nanoTime();
                if (readTimeoutCheck == null) {
                    readTimeoutCheck = ctx.executor().schedule(this::checkReadTimeout, readTimeoutNanos,
                                                               TimeUnit.NANOSECONDS);
                }
            }
        }
        super.channelReadComplete(ctx);
    }

    private void checkReadTimeout() {
        readTimeoutCheck = null;
        if (closed || inputClosed || frameStartNanos == 0) {
            return;
        }
        final long timeout = limits.readTimeoutNanos();
        final long waited = System.nanoTime() - frameStartNanos;
        // While reads are paused the server, not the peer, holds the frame back; resuming restarts the clock.
        if (!readsPaused && waited >= timeout) {
            limits.readTimedOut(remoteAddress, waited, decoder.bufferedBytes());
            stopInput();
            return;
        }
        readTimeoutCheck = ctx.executor().schedule(this::checkReadTimeout, readsPaused ? timeout : timeout - waited,
                                                   TimeUnit.NANOSECONDS);
    }

    private int inFlight() {
        return pending.size() + running;
    }

    private void pauseReadsIfFull() {
        if (!readsPaused && !closed && !inputClosed && inFlight() >= limits.maxInFlightRequestsPerConnection()) {
            readsPaused = true;
            // Called from inside the decoder's loop: no further frame is decoded from what was read.
            decoder.pauseDecoding();
            ctx.channel().config().setAutoRead(false);
            limits.inFlightLimitReached(remoteAddress);
        }
    }

    private void resumeReadsIfRoom() {
        if (readsPaused && !closed && !inputClosed && inFlight() < limits.maxInFlightRequestsPerConnection()) {
            readsPaused = false;
            if (frameStartNanos != 0) {
                frameStartNanos = System.nanoTime();
            }
            decoder.resumeDecoding();
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void checkIdle() {
        if (closed) {
            return;
        }
        final long idleFor = System.nanoTime() - lastActivityNanos;
        // A call that runs long is not idle.
        if (idleFor >= idleTimeoutNanos && running == 0 && pending.isEmpty()) {
            logger.debug("Closing idle connection from {}", remoteAddress);
            closed = true;
            ctx.close();
            return;
        }
        final long next = idleFor >= idleTimeoutNanos ? idleTimeoutNanos : idleTimeoutNanos - idleFor;
        idleCheck = ctx.executor().schedule(this::checkIdle, next, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed = true;
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        if (readTimeoutCheck != null) {
            readTimeoutCheck.cancel(false);
            readTimeoutCheck = null;
        }
        releasePending();
        if (countedByLimits) {
            countedByLimits = false;
            limits.connectionClosed(remoteIp);
        }
        dispatcher.connectionClosed(this);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closed) {
            logger.debug("Error on closed connection from {}: {}", remoteAddress, cause.toString());
            return;
        }
        if (cause instanceof DecoderException) {
            // Malformed input (KitexCodecException) or an oversized frame. As in Kitex, requests
            // read before the bad bytes are still answered, in order; then the connection closes.
            if (!inputClosed) {
                final KitexCodecException codecError = cause instanceof KitexCodecException
                                                       ? (KitexCodecException) cause : null;
                final RejectionKind kind = codecError == null ? RejectionKind.MALFORMED_FRAME
                        : switch (codecError.kind()) {
                            case FRAME_TOO_LARGE -> RejectionKind.FRAME_TOO_LARGE;
                            case NESTING_TOO_DEEP -> RejectionKind.NESTING_TOO_DEEP;
                            default -> RejectionKind.MALFORMED_FRAME;
                        };
                final boolean replies = codecError != null && codecError.refusedMessage() != null;
                dispatcher.rejections().log(kind, replies ? "Closing connection from {} after replying: {}"
                                                          : "Closing connection from {}: {}",
                                            remoteAddress, LogValues.escape(reason(cause)));
                if (replies) {
                    lastReply = refusedMessageReply(codecError);
                }
                stopInput();
            }
            return;
        }
        if (cause instanceof EncoderException) {
            // A response the codec refuses (e.g. a TTHeader over 64 KiB of backward values): nothing
            // was written, and the caller would wait forever for it, so close.
            dispatcher.rejections().log(RejectionKind.HANDLER_EXCEPTION,
                                        "Cannot write a response to {}; closing the connection: {}", remoteAddress,
                                        LogValues.escape(reason(cause)));
        } else if (cause instanceof IOException) {
            logger.debug("Connection from {} failed: {}", remoteAddress, cause.toString());
        } else {
            dispatcher.rejections().log(RejectionKind.INTERNAL_ERROR,
                                        "Unexpected error on connection from {}; closing it", remoteAddress, cause);
        }
        forceClose();
    }

    /**
     * The answer to a Buffered request whose body the frame decoder refused (nested too deep): what Kitex
     * sends when its skip decoder fails after the message header was read, a protocol error as a read
     * error (pkg/remote/codec/thrift/codec_apache.go#skipThriftStructSlow), after the method lookup that
     * precedes it (thrift.go#validateMessageBeforeDecode); nothing for a oneway method.
     */
    private ServerCall.Reply refusedMessageReply(KitexCodecException e) {
        final ThriftMessageHeader mh = e.refusedMessage();
        final ServiceRouter.Route route = dispatcher.router().route(null, mh.name());
        if (route.method() != null && route.method().isOneway()) {
            return ServerCall.Reply.close(e.getMessage());
        }
        final int type = route.method() == null ? route.errorType() : KitexErrorTypes.PROTOCOL_ERROR;
        final String message = route.method() == null ? route.errorMessage() : e.getMessage();
        return ServerCall.exceptionReply(ctx.alloc(), dispatcher, Transport.BUFFERED, mh.name(), mh.seqId(), type,
                                         message, null, true).closingAfterward(message);
    }

    private static String reason(Throwable cause) {
        final String m = cause.getMessage();
        return m != null ? m : cause.getClass().getName();
    }

    /** Server shutdown: answer what was read, then close. Callable from any thread. */
    void drainAndClose() {
        ctx.executor().execute(() -> {
            if (!closed) {
                stopInput();
            }
        });
    }

    /** Closes now. Callable from any thread. */
    void forceClose() {
        ctx.channel().close();
    }

    private void stopInput() {
        inputClosed = true;
        ctx.channel().config().setAutoRead(false);
        if (running == 0 && pending.isEmpty()) {
            closeAfterLastReply();
        }
    }

    private void closeAfterLastReply() {
        final ServerCall.Reply r = lastReply;
        lastReply = null;
        if (r != null) {
            write(r);
        } else {
            closed = true;
            ctx.close();
        }
    }

    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (blockingCall == null && !closed) {
                final PendingRequest req = pending.poll();
                if (req == null) {
                    if (inputClosed && running == 0) {
                        closeAfterLastReply();
                    }
                    break;
                }
                start(req);
            }
            resumeReadsIfRoom();
        } finally {
            draining = false;
        }
    }

    // Kitex's order of checks for a request (pkg/remote/codec/thrift/thrift.go#Unmarshal and
    // validateMessageBeforeDecode, pkg/remote/codec/util.go): message type, method name, service
    // and method lookup, then the arguments (decoded on the executor, see ServerCall).
    private void start(PendingRequest req) {
        final KitexFrame frame = req.frame();
        final ThriftMessageHeader mh;
        try {
            mh = frame.messageHeader();
        } catch (RuntimeException e) {
            frame.release();
            closeWithoutReply("cannot read the Thrift message header: " + reason(e));
            return;
        }
        final int type = mh.type();
        if (type != ThriftMessageHeader.CALL && type != ThriftMessageHeader.ONEWAY && type != ServerCall.STREAM) {
            // Kitex: TransError "server side, invalid message type N", but the reply cannot be
            // encoded because the method name is not set yet, so nothing is sent and the
            // connection is closed.
            frame.release();
            closeWithoutReply("server side, invalid message type " + type);
            return;
        }
        if (mh.name() == null || mh.name().isEmpty()) {
            frame.release();
            closeWithoutReply("method name that receive is empty");
            return;
        }
        final TTHeader header = frame.header();
        final String isn = header == null ? null : header.string(MetaKeys.ISN);
        final ServiceRouter.Route route = dispatcher.router().route(isn, mh.name());
        if (route.method() == null) {
            // A read error in Kitex: the exception is written (with crrst), then the connection
            // closes (default_server_handler.go#OnRead -> writeErrorReplyIfNeeded(..., connReset=true)).
            dispatcher.rejections().log(RejectionKind.UNKNOWN_METHOD, "Closing connection from {} after replying: {}",
                                        remoteAddress, LogValues.escape(route.errorMessage()));
            final ServerCall.Reply reply;
            try {
                reply = ServerCall.exceptionReply(ctx.alloc(), dispatcher, frame.transport(), mh.name(), mh.seqId(),
                                                  route.errorType(), route.errorMessage(), null, true);
            } finally {
                frame.release();
            }
            write(reply.closingAfterward(route.errorMessage()));
            return;
        }
        final ServerCall call = new ServerCall(this, dispatcher, ctx, req, mh, route.method());
        running++;
        blockingCall = call;
        if (lane != null) {
            lane.submit(call);
            return;
        }
        try {
            dispatcher.executor().execute(call);
        } catch (RejectedExecutionException e) {
            running--;
            blockingCall = null;
            // Written here, not through complete(): drain() goes on with the next request, without
            // recursion however many requests the executor refuses.
            write(call.rejected());
        }
    }

    private void closeWithoutReply(String reason) {
        dispatcher.rejections().log(RejectionKind.MALFORMED_FRAME, "Closing connection from {}: {}", remoteAddress,
                                    LogValues.escape(reason));
        closed = true;
        releasePending();
        ctx.close();
    }

    /** Called by a call when it has its response (or none). Callable from any thread. */
    void complete(ServerCall call, ServerCall.Reply reply) {
        if (ctx.executor().inEventLoop()) {
            callDone(call, reply);
            return;
        }
        if (lane != null) {
            lane.complete(call, reply);
            return;
        }
        try {
            ctx.executor().execute(() -> callDone(call, reply));
        } catch (RejectedExecutionException e) {
            // The server stopped (drain timeout) while the handler was still running.
            reply.release();
        }
    }

    /**
     * Called by an asynchronous call still pending whose peer takes replies out of order (TTHeader flag
     * 0x0001, Kitex's mux connections, as Kitex's mux server serves them): the connection's next requests
     * may start. Callable from any thread.
     */
    void suspended(ServerCall call) {
        if (ctx.executor().inEventLoop()) {
            unblock(call);
            return;
        }
        try {
            ctx.executor().execute(() -> unblock(call));
        } catch (RejectedExecutionException e) {
            // The server stopped.
        }
    }

    private void unblock(ServerCall call) {
        if (blockingCall == call) {
            blockingCall = null;
            drain();
        }
    }

    /** A call's reply, on the I/O thread (also handed over by the lane). */
    void callDone(ServerCall call, ServerCall.Reply reply) {
        running--;
        if (blockingCall == call) {
            blockingCall = null;
        }
        if (write(reply)) {
            drain();
        }
    }

    /** Writes a reply (if any); returns false if the connection is closed or closing. */
    private boolean write(ServerCall.Reply reply) {
        if (closed) {
            reply.release();
            return false;
        }
        if (reply.closeAfter()) {
            closed = true;
            releasePending();
            if (reply.frame() != null) {
                ctx.writeAndFlush(reply.frame()).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
            return false;
        }
        if (idleTimeoutNanos > 0) {
            lastActivityNanos = System.nanoTime();
        }
        if (reply.frame() != null) {
            // The void promise fires exceptionCaught on failure, as FIRE_EXCEPTION_ON_FAILURE would,
            // without a promise object per response.
            ctx.writeAndFlush(reply.frame(), ctx.voidPromise());
        }
        return true;
    }

    private void releasePending() {
        if (lastReply != null) {
            lastReply.release();
            lastReply = null;
        }
        PendingRequest r;
        while ((r = pending.poll()) != null) {
            r.frame().release();
        }
    }

    /** A request read from the connection and the time it arrived. */
    record PendingRequest(KitexFrame frame, long receivedNanos) {}
}
