package io.kitex4j.thriftrpc.server;

import io.kitex4j.thriftrpc.internal.transmeta.TTHeaderMeta;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.async.AsyncMethodCallback;
import org.apache.thrift.TBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.internal.Throwables;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.rpc.CurrentCallContext;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.kitex4j.thriftrpc.internal.codec.KitexErrorTypes;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;

/**
 * One request being served, run on the handler executor: decodes the arguments, calls the
 * implementation with the {@link ServerCallContext} and {@link Metainfo} current, and encodes the
 * response exactly as a Kitex server would. Then hands the response to its connection, which
 * writes it in order.
 */
final class ServerCall implements Runnable, AsyncMethodCallback<Object> {

    private static final Logger logger = LoggerFactory.getLogger(ServerCall.class);

    private static final byte REPLY = ThriftMessageHeader.REPLY;
    private static final byte EXCEPTION = ThriftMessageHeader.EXCEPTION;
    /** Kitex accepts message type 5 (Stream) from clients, too (pkg/remote/codec/util.go#UpdateMsgType). */
    static final byte STREAM = 5;

    private static final int INTERNAL_ERROR = KitexErrorTypes.INTERNAL_ERROR;
    private static final int PROTOCOL_ERROR = KitexErrorTypes.PROTOCOL_ERROR;

    /** {@code kerrors.ErrBiz}: what Kitex prefixes to an error a handler returns. */
    static final String BIZ_ERROR_PREFIX = "biz error: ";
    /** Go's {@code context.DeadlineExceeded.Error()}, as a Kitex handler returning {@code ctx.Err()} sends it. */
    static final String DEADLINE_EXCEEDED = "context deadline exceeded";
    /** {@code kerrors.ErrQPSOverLimit}: Kitex's answer when its limiter refuses a request. */
    static final String OVER_LIMIT = "request over limit: request too frequent";

    // Interruption states (interruptOnDeadline): the deadline timer and the handler thread agree
    // through this so an interrupt never lands after the handler returned.
    private static final int NOT_STARTED = 0;
    private static final int RUNNING = 1;
    private static final int FINISHED = 2;
    private static final int INTERRUPTING = 3;
    private static final int INTERRUPTED = 4;

    private final ServerConnectionHandler connection;
    private final CallDispatcher dispatcher;
    private final ChannelHandlerContext channelCtx;
    private final ServerConnectionHandler.PendingRequest request;
    private final ThriftMessageHeader messageHeader;
    private final MethodDefinition method;
    private final Transport transport;
    private final AtomicInteger state = new AtomicInteger(NOT_STARTED);
    private volatile Thread handlerThread;
    // Set once the outcome is known: an asynchronous outcome counts only once.
    // (A field updater, not an AtomicBoolean: no object per call.)
    private volatile int finished;
    private static final AtomicIntegerFieldUpdater<ServerCall> DONE =
            AtomicIntegerFieldUpdater.newUpdater(ServerCall.class, "finished");
    // Set by serve() before the handler starts; read by the threads that complete it.
    private volatile ServerCallContext ctx;
    private volatile CompletionStage<?> pendingStage;
    private volatile ScheduledFuture<?> asyncDeadline;
    private volatile boolean interruptedInStart;
    // The outcome goes to finish(), not to run()'s caller.
    private boolean asyncStarted;
    // The reply waiting in its lane to be handed to the connection on its I/O thread (HandlerLanes).
    private Reply laneReply;
    // The request's TTHeader has flag 0x0001: its peer matches replies by seqId (Kitex mux connections).
    private boolean outOfOrder;

    /** The outcome of an asynchronous call whose deadline passed first (interruptOnDeadline). */
    private static final Throwable DEADLINE_PASSED = new Exception(DEADLINE_EXCEEDED, null, false, false) {
        private static final long serialVersionUID = 1L;
    };

    ServerCall(ServerConnectionHandler connection, CallDispatcher dispatcher, ChannelHandlerContext channelCtx,
               ServerConnectionHandler.PendingRequest request, ThriftMessageHeader messageHeader,
               MethodDefinition method) {
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.channelCtx = channelCtx;
        this.request = request;
        this.messageHeader = messageHeader;
        this.method = method;
        transport = request.frame().transport();
    }

    @Override
    public void run() {
        Reply reply;
        try {
            reply = serve();
        } catch (Throwable t) {
            // A bug of ours, not the handler's: do not leave the connection hanging.
            rejections().log(RejectionKind.INTERNAL_ERROR, "Failed to serve {} from {}; closing the connection",
                             method, connection.remoteAddress(), t);
            if (!asyncStarted || DONE.compareAndSet(this, 0, 1)) {
                connection.complete(this, Reply.close("internal error: " + t));
            }
            return;
        }
        if (reply != null) {
            connection.complete(this, reply);
        } else if (finished == 0) {
            // An asynchronous call still pending: it holds no thread, and a peer that takes replies out of
            // order (a TTHeader mux connection) may have the connection's next requests served meanwhile.
            scheduleAsyncDeadline();
            if (outOfOrder) {
                connection.suspended(this);
            }
        }
    }

    /** Keeps the reply until the lane hands it to the I/O thread ({@link #deliver()}). */
    void completeWith(Reply reply) {
        laneReply = reply;
    }

    /** On the I/O thread: gives the reply kept by {@link #completeWith} to the connection. */
    void deliver() {
        final Reply r = laneReply;
        laneReply = null;
        connection.callDone(this, r);
    }

    /**
     * The call will not be served or answered: the server stopped after its drain timeout and its
     * threads are gone. Releases what it holds (its reply, or else its request).
     */
    void dropped() {
        final Reply r = laneReply;
        laneReply = null;
        if (r != null) {
            r.release();
        } else {
            request.frame().release();
        }
    }

    /**
     * The executor refused the call: Kitex's limiter answer ({@code kerrors.ErrQPSOverLimit}), and
     * the connection stays open. Returns the reply for the connection to write.
     */
    Reply rejected() {
        final KitexFrame frame = request.frame();
        try {
            rejections().log(RejectionKind.EXECUTOR_REJECTED, "Executor rejected {} from {}", method,
                             connection.remoteAddress());
            return method.isOneway() ? Reply.NONE
                    : exceptionReply(channelCtx.alloc(), dispatcher, frame.transport(), messageHeader.name(),
                                     messageHeader.seqId(), INTERNAL_ERROR, OVER_LIMIT, null, false);
        } finally {
            frame.release();
        }
    }

    /**
     * Serves the call. Returns the reply, or {@code null} if the outcome goes to {@link #finish} (an
     * asynchronous handler or middleware), which hands it to the connection.
     */
    private Reply serve() {
        final KitexFrame frame = request.frame();
        final TTHeader header = frame.header();
        outOfOrder = header != null && (header.flags() & TTHeader.FLAG_SUPPORT_OUT_OF_ORDER) != 0;
        final String name = messageHeader.name();
        final int seqId = messageHeader.seqId();
        final ServerCallContext ctx;
        final TBase<?, ?> args;
        try {
            ctx = new ServerCallContext(dispatcher.serviceName(), method.service().name(), name, seqId, transport,
                                        method.isOneway(), header, TTHeaderMeta.serverReadMetainfo(header), connection.remoteAddress(),
                                        TTHeaderMeta.serverReadRpcTimeout(header), request.receivedNanos(), method,
                                        frame.wireBytes());
            args = method.newArgs();
            try {
                ThriftCodec.decodeMessage(frame.payload(), args, messageHeader, dispatcher.maxNestingDepth());
            } catch (Exception e) {
                // Kitex: remote.NewTransError(remote.ProtocolError, err) from the args decoder, a read
                // error, so the exception is sent (unless oneway) and the connection closed.
                final String msg = message(e);
                final RejectionKind kind = e instanceof KitexCodecException
                                           && ((KitexCodecException) e).kind() == Kind.NESTING_TOO_DEEP
                                           ? RejectionKind.NESTING_TOO_DEEP : RejectionKind.ARGS_DECODE_FAILED;
                rejections().log(kind, method.isOneway() ? "Closing connection from {}: {}"
                                                         : "Closing connection from {} after replying: {}",
                                 connection.remoteAddress(), LogValues.escape(msg));
                final Reply r = method.isOneway() ? Reply.NONE
                        : exceptionReply(channelCtx.alloc(), dispatcher, transport, name, seqId,
                                         PROTOCOL_ERROR, msg, null, true);
                return r.closingAfterward(msg);
            }
        } finally {
            frame.release();
        }

        if (dispatcher.enforceDeadline() && ctx.isDeadlineExceeded()) {
            logger.debug("Not starting {} from {}: its deadline passed", method, connection.remoteAddress());
            return method.isOneway() ? Reply.NONE
                    : exceptionReply(channelCtx.alloc(), dispatcher, transport, name, seqId, INTERNAL_ERROR,
                                     BIZ_ERROR_PREFIX + DEADLINE_EXCEEDED, ctx, false);
        }
        this.ctx = ctx;
        final Endpoint endpoint = dispatcher.endpoint();
        if (endpoint != null || !method.isSync()) {
            startAsync(endpoint, args);
            return null;
        }

        // The direct path: a synchronous handler and no middleware. No future, no endpoint, nothing
        // allocated beyond what the call needs.
        TBase<?, ?> result = null;
        Throwable failure = null;
        boolean interrupted = false;
        final ScheduledFuture<?> timer = startDeadlineTimer(ctx);
        final ServerCallContext previous = ServerCallContext.swapIn(ctx);
        final CurrentCallContext.Scope neutral = CurrentCallContext.enter(ctx);
        try (Metainfo.Scope ignored = ctx.metainfo().attach()) {
            result = method.invoke(args);
        } catch (Throwable t) {
            failure = t;
        } finally {
            neutral.close();
            ServerCallContext.restore(previous);
            interrupted = finishInterruptible(timer);
        }

        if (method.isOneway()) {
            if (failure != null) {
                logOnewayFailure(failure);
            }
            return Reply.NONE;
        }
        if (failure == null) {
            return reply(result, null);
        }
        return failureReply(failure, interrupted);
    }

    /**
     * Starts the middleware chain, or an asynchronous handler without middleware; its outcome goes to
     * {@link #finish}, on whichever thread it completes.
     */
    private void startAsync(Endpoint endpoint, TBase<?, ?> args) {
        asyncStarted = true;
        final ScheduledFuture<?> timer = startDeadlineTimer(ctx);
        try {
            if (endpoint != null) {
                try (ServerCallContext.Scope ignored = ctx.enter()) {
                    CompletableFuture<Object> f;
                    try {
                        f = endpoint.invoke(ctx, args);
                        if (f == null) {
                            f = CompletableFuture.failedFuture(new NullPointerException("a middleware returned null"));
                        }
                    } catch (Throwable t) {
                        f = CompletableFuture.failedFuture(t);
                    }
                    pendingStage = f;
                    f.whenComplete(this::finish);
                }
                return;
            }
            try (ServerCallContext.Scope ignored = ctx.push()) {
                if (method.style() == MethodDefinition.Style.CALLBACK) {
                    method.start(args, this);
                } else {
                    final CompletionStage<?> stage = method.startStage(args);
                    pendingStage = stage;
                    stage.whenComplete(this::finish);
                }
            } catch (Throwable t) {
                finish(null, t);
            }
        } finally {
            // Only the synchronous part of an asynchronous handler can be interrupted.
            if (finishInterruptible(timer)) {
                interruptedInStart = true;
            }
        }
    }

    /** The terminal endpoint of every server's middleware chain: runs the handler of the call. */
    static final Endpoint HANDLER_ENDPOINT = (context, request) -> {
        if (!(context instanceof ServerCallContext)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a server middleware passed another CallContext to next (expected: the one it was given)"));
        }
        final ServerCallContext sc = (ServerCallContext) context;
        if (!(request instanceof TBase)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a server middleware passed " + (request == null ? "null" : request.getClass().getName())
                    + " to next (expected: the arguments struct of " + sc.definition() + ')'));
        }
        // Set here as well: a middleware may call next on another thread.
        try (ServerCallContext.Scope ignored = sc.push()) {
            return sc.definition().call((TBase<?, ?>) request);
        }
    };

    // AsyncMethodCallback, for AsyncIface handlers without middleware.
    @Override
    public void onComplete(Object response) {
        finish(response, null);
    }

    @Override
    public void onError(Exception exception) {
        finish(null, exception);
    }

    /** The outcome of an asynchronous call; the first one counts. Callable from any thread. */
    private void finish(Object value, Throwable failure) {
        if (!DONE.compareAndSet(this, 0, 1)) {
            return;
        }
        final ScheduledFuture<?> deadline = asyncDeadline;
        if (deadline != null) {
            deadline.cancel(false);
        }
        Reply reply;
        try {
            if (method.isOneway()) {
                if (failure != null) {
                    logOnewayFailure(failure);
                }
                reply = Reply.NONE;
            } else if (failure == null) {
                reply = reply(method.resultOf(value), null);
            } else {
                final Throwable cause = Throwables.unwrap(failure);
                final TBase<?, ?> declared = cause == DEADLINE_PASSED ? null : method.resultOfDeclared(cause);
                // The state too: a failure completed inline may arrive before startAsync noted the interrupt.
                final boolean interrupted = interruptedInStart || cause == DEADLINE_PASSED || state.get() >= INTERRUPTING;
                reply = declared != null ? reply(declared, null) : failureReply(cause, interrupted);
            }
        } catch (Throwable t) {
            rejections().log(RejectionKind.INTERNAL_ERROR, "Failed to answer {} from {}; closing the connection",
                             method, connection.remoteAddress(), t);
            reply = Reply.close("internal error: " + t);
        }
        connection.complete(this, reply);
    }

    /**
     * With {@code interruptOnDeadline}, an asynchronous call still pending at its deadline is answered
     * {@code "biz error: context deadline exceeded"} then (a stage it returned is cancelled), the
     * counterpart of a Go handler's context being cancelled; its later outcome is ignored.
     */
    private void scheduleAsyncDeadline() {
        if (!dispatcher.interruptOnDeadline() || ctx == null || ctx.rpcTimeout() == null) {
            return;
        }
        final long delay = ctx.deadlineNanos() - System.nanoTime();
        try {
            asyncDeadline = channelCtx.executor().schedule(() -> {
                final CompletionStage<?> stage = pendingStage;
                finish(null, DEADLINE_PASSED);
                if (stage instanceof CompletableFuture) {
                    ((CompletableFuture<?>) stage).cancel(false);
                }
            }, Math.max(0, delay), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // the server is stopping
        }
        if (finished != 0 && asyncDeadline != null) {
            asyncDeadline.cancel(false);
        }
    }

    /** The reply to a handler (or middleware) failure that is not an IDL-declared exception. */
    private Reply failureReply(Throwable failure, boolean interrupted) {
        final String name = messageHeader.name();
        final int seqId = messageHeader.seqId();
        final BizStatusException biz = bizStatus(failure);
        if (biz != null) {
            // Kitex: the BizStatusError is kept in the invocation and the handler "succeeds" with an
            // empty result; ServerTTHeaderHandler writes biz-* (pkg/transmeta/ttheader.go). Without
            // TTHeader the client sees a success with an empty result.
            return reply(method.newEmptyResult(), biz);
        }
        final String msg;
        if (interrupted) {
            msg = BIZ_ERROR_PREFIX + DEADLINE_EXCEEDED;
        } else if (failure instanceof Exception) {
            // Kitex wraps a returned error as kerrors.ErrBiz: "biz error: <err>" (server/server.go).
            msg = BIZ_ERROR_PREFIX + message(failure);
        } else {
            // An Error is the Java counterpart of a Go panic, which Kitex recovers as kerrors.ErrPanic.
            msg = "panic: [happened in biz handler, method=" + method.service().name() + '.' + name
                  + ", please check the panic at the server side] " + message(failure);
        }
        // One line per call, the stack trace only on the first of a period: a handler bug hit by every
        // call must not become a log storm.
        rejections().log(RejectionKind.HANDLER_EXCEPTION, "{} from {} failed: {}", method, connection.remoteAddress(),
                         LogValues.escape(msg), failure == DEADLINE_PASSED ? null : failure);
        return exceptionReply(channelCtx.alloc(), dispatcher, transport, name, seqId, INTERNAL_ERROR, msg, ctx, false);
    }

    private void logOnewayFailure(Throwable failure) {
        rejections().log(RejectionKind.HANDLER_EXCEPTION, "{} from {} failed (nothing is sent back): {}",
                         method, connection.remoteAddress(), LogValues.escape(message(failure)), failure);
    }

    private ServerRejections rejections() {
        return dispatcher.rejections();
    }

    private ScheduledFuture<?> startDeadlineTimer(ServerCallContext ctx) {
        handlerThread = Thread.currentThread();
        state.set(RUNNING);
        if (!dispatcher.interruptOnDeadline() || ctx.rpcTimeout() == null) {
            return null;
        }
        final long delay = ctx.deadlineNanos() - System.nanoTime();
        try {
            return channelCtx.executor().schedule(this::deadlineReached, Math.max(0, delay), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;   // the server is stopping; the call is not waited for anyway
        }
    }

    private void deadlineReached() {
        if (state.compareAndSet(RUNNING, INTERRUPTING)) {
            handlerThread.interrupt();
            state.set(INTERRUPTED);
        }
    }

    /** Returns whether the handler was interrupted because of its deadline. */
    private boolean finishInterruptible(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
        if (state.compareAndSet(RUNNING, FINISHED)) {
            return false;
        }
        // The timer is interrupting us: wait for it, then clear the flag so it does not leak into
        // the executor's next task.
        while (state.get() != INTERRUPTED) {
            Thread.onSpinWait();
        }
        Thread.interrupted();
        return true;
    }

    private Reply reply(TBase<?, ?> result, BizStatusException biz) {
        final String name = messageHeader.name();
        final int seqId = messageHeader.seqId();
        final ByteBuf payload;
        try {
            payload = ThriftCodec.encodeMessage(channelCtx.alloc(), name, REPLY, seqId, result);
        } catch (Exception e) {
            // Apache Thrift validates required fields when writing (Go does not); the result cannot be sent.
            final String msg = "encode " + method + " result failed: " + message(e);
            rejections().log(RejectionKind.HANDLER_EXCEPTION, "{} from {}: {}", method, connection.remoteAddress(),
                             LogValues.escape(msg));
            return exceptionReply(channelCtx.alloc(), dispatcher, transport, name, seqId, PROTOCOL_ERROR, msg, ctx,
                                  false);
        }
        return Reply.of(frame(dispatcher, transport, seqId, REPLY, payload, biz, ctx, false));
    }

    /** An EXCEPTION message with a TApplicationException, with the request's method name and seqId. */
    static Reply exceptionReply(ByteBufAllocator alloc, CallDispatcher dispatcher, Transport transport, String name,
                                int seqId, int type, String message, ServerCallContext ctx, boolean connReset) {
        final ByteBuf payload = ThriftCodec.encodeException(alloc, name, seqId,
                                                            new TApplicationException(type, message));
        return Reply.of(frame(dispatcher, transport, seqId, EXCEPTION, payload, null, ctx, connReset));
    }

    private static KitexFrame frame(CallDispatcher dispatcher, Transport transport, int seqId, byte msgType,
                                    ByteBuf payload, BizStatusException biz, ServerCallContext ctx,
                                    boolean connReset) {
        if (!transport.hasTTHeader()) {
            return new KitexFrame(transport, null, payload);
        }
        try {
            return new KitexFrame(transport, responseHeader(dispatcher, seqId, msgType, biz, ctx, connReset), payload);
        } catch (RuntimeException e) {
            payload.release();
            throw e;
        }
    }

    /**
     * The response TTHeader, written by the server's meta handler ({@link TTHeaderMeta.ServerHandler}).
     */
    static TTHeader responseHeader(CallDispatcher dispatcher, int seqId, byte msgType, BizStatusException biz,
                                   ServerCallContext ctx, boolean connReset) {
        final TTHeader.Builder b = TTHeader.builder().seqId(seqId);
        dispatcher.metaHandler().serverWrite(ctx != null ? ctx.backwardValues() : Map.of(), msgType, biz,
                connReset || dispatcher.connectionReset(), b);
        return b.build();
    }

    private static BizStatusException bizStatus(Throwable t) {
        // Kitex uses errors.As, which unwraps; a few levels cover CompletionException and friends.
        for (int i = 0; t != null && i < 8; i++, t = t.getCause()) {
            if (t instanceof BizStatusException) {
                return (BizStatusException) t;
            }
        }
        return null;
    }

    private static String message(Throwable t) {
        final String m = t.getMessage();
        return m != null ? m : t.getClass().getName();
    }

    /** The outcome of a call for its connection: a frame to write (or none), and whether to close after it. */
    record Reply(KitexFrame frame, boolean closeAfter, String closeReason) {
        static final Reply NONE = new Reply(null, false, null);

        static Reply of(KitexFrame frame) {
            return new Reply(frame, false, null);
        }

        static Reply close(String reason) {
            return new Reply(null, true, reason);
        }

        Reply closingAfterward(String reason) {
            return new Reply(frame, true, reason);
        }

        void release() {
            if (frame != null) {
                frame.release();
            }
        }
    }
}
