package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.ClientClosedException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.NoInstanceException;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.core.loadbalance.Picker;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.TimeoutProvider;
import io.kitex4j.core.rpc.Timeouts;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.KitexEncodeException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.thriftrpc.internal.transmeta.TTHeaderMeta;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.EncoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.transport.TTransportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One call, from picking an instance to the decoded reply, with its retries and its timeout.
 *
 * <p>An attempt makes at most {@code maxAttempts} tries. Each try picks an instance (avoiding
 * those that already failed), takes a connection, sends the request with a fresh sequence id and
 * waits. Only failures that prove the server did not process the request start another attempt:
 * the connection could not be opened or written to, or a reused pooled connection turned out to
 * be closed before any reply byte came. Anything else ends the attempt.
 *
 * <p>Whatever comes first among the reply, a final failure, the RPC timeout and a cancellation
 * wins ({@link #finished}); the others then do nothing but release what they hold. Each attempt's
 * connection is handed back exactly once ({@link Attempt#claim()}).
 *
 * <p>The first {@code RpcCall} of a call is also its {@link CallContext}: with no middleware, a call
 * allocates nothing more than it did before middleware existed. A middleware that invokes the terminal
 * {@link #TERMINAL endpoint} again starts a further {@code RpcCall} that shares the first one's context
 * ({@link #root}): the attempt number, the deadline, the metainfo, the remote address and the
 * attributes live there.
 *
 * <p>Each such attempt is independent of the others, as a Kitex retry's: its own RPC timeout timer, the
 * metainfo the context had when the endpoint was invoked (so a middleware may set {@code RetryReq} for attempt
 * n while a backup attempt n-1 is still being encoded), its own instance pick avoiding the instances earlier
 * attempts used (or the latest one's, with {@link CallContext#SAME_INSTANCE}), its own connection, released
 * when its future is cancelled. Attempts may run at the same time; cancelling the chain's future cancels all
 * of them. This bookkeeping ({@link #used}, {@link #others}) exists only on the middleware path.
 */
final class RpcCall implements CallContext, Runnable {

    private static final Logger log = LoggerFactory.getLogger(RpcCall.class);
    // A peer's doing, so rate limited (per process: a client has no counters to expose yet).
    private static final RateLimitedLog SEQ_ID_MISMATCH = new RateLimitedLog(log, Level.WARN, "ttheader_seqid_mismatch");

    private static final AtomicIntegerFieldUpdater<RpcCall> ATTEMPTS =
            AtomicIntegerFieldUpdater.newUpdater(RpcCall.class, "attempt");
    private static final AtomicIntegerFieldUpdater<RpcCall> FINISHED =
            AtomicIntegerFieldUpdater.newUpdater(RpcCall.class, "finished");

    /**
     * The innermost endpoint of a client with middleware: each invocation is one attempt. It must get
     * the call's own context, which is how it finds the call.
     */
    static final Endpoint TERMINAL = (ctx, request) -> {
        if (!(ctx instanceof RpcCall call) || call.root != call) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a client middleware must pass on the CallContext it was given, not " + ctx));
        }
        if (!(request instanceof TBase<?, ?> args)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "a client middleware must pass on a Thrift arguments struct, not " + request));
        }
        return call.startAttempt(args);
    };

    // ---- the call (read through root by every attempt)
    private final ClientRuntime runtime;
    private final CallTarget target;
    private final RpcCall root;
    private final String callerMethod;
    private final BackwardValues backward;
    private final String hashKey;
    private final Duration rpcTimeout;
    private final long deadlineNanos;
    private final int connectTimeoutMillis;
    private final boolean sendConnectTimeout;
    // Only root's are used.
    private volatile Metainfo metainfo;
    private volatile int attempt;
    private volatile String remote;
    private volatile Map<String, String> backwardReceived = Map.of();
    private volatile int sentBytes;
    private volatile int receivedBytes;
    private volatile ConcurrentHashMap<AttributeKey<?>, Object> attributes;
    private volatile RpcCall currentAttempt;
    // The addresses the call's attempts picked, copy-on-write under the root's lock (middleware path only).
    private volatile String[] used;
    // The attempts after the first, for cancelling the chain; under the root's lock.
    private List<RpcCall> others;
    private boolean chainCancelled;
    // A TimeoutProvider that threw: the call fails with it.
    private RuntimeException startFailure;

    // ---- this attempt
    private TBase<?, ?> args;
    final CompletableFuture<Object> future = new CallFuture(this);
    // 1 once the reply, a final failure, the timeout or a cancellation won (fields, not atomics: fewer
    // objects per call).
    private volatile int finished;
    private volatile Attempt current;
    private volatile ScheduledFuture<?> timeout;
    // Touched by one try at a time; each try starts from the previous one's callback. The list only
    // from the second try on: most calls make one.
    private int tries;
    private String firstTried;
    private List<String> tried;
    // What this attempt sends: the context's metainfo when the endpoint was invoked; null without middleware
    // (root.metainfo is read then, as before).
    private Metainfo sending;
    // Addresses earlier attempts used, to avoid; or the address to use first (SAME_INSTANCE).
    private String[] avoid;
    private String sameAddress;

    /** The first attempt of a call, and its context. */
    RpcCall(ClientRuntime runtime, CallTarget target, TBase<?, ?> args, CallOptions options) {
        this.runtime = runtime;
        this.target = target;
        this.args = args;
        this.root = this;
        this.metainfo = options.metainfo() != null ? options.metainfo() : Metainfo.current();
        this.backward = options.backwardValues() != null ? options.backwardValues() : BackwardValues.current();
        final CallContext serving = CallContext.current();
        this.callerMethod = serving != null && serving.side() == Side.SERVER ? serving.method() : "";
        this.hashKey = options.hashKey();
        Duration t = options.rpcTimeout();
        Duration connect = options.connectTimeout();
        final TimeoutProvider provider = runtime.timeoutProvider();
        if (provider != null && (t == null || connect == null)) {
            // Asked with the identity set and no timeout yet (rpcTimeout() is null, deadlineNanos() 0 here).
            try {
                final Timeouts chosen = provider.timeouts(this);
                if (chosen != null) {
                    if (t == null) {
                        t = chosen.rpcTimeout();
                    }
                    if (connect == null) {
                        connect = chosen.connectTimeout();
                    }
                }
            } catch (RuntimeException e) {
                startFailure = e;
            }
        }
        if (t == null) {
            t = runtime.rpcTimeout();
        }
        this.rpcTimeout = t == null || t.isZero() ? null : t;
        this.deadlineNanos = rpcTimeout == null ? 0 : System.nanoTime() + rpcTimeout.toNanos();
        if (connect != null) {
            this.connectTimeoutMillis = toMillis(connect);
            this.sendConnectTimeout = true;
        } else {
            this.connectTimeoutMillis = runtime.connectTimeoutMillis();
            this.sendConnectTimeout = runtime.sendConnectTimeout();
        }
    }

    /** A further attempt of {@code root}'s call. */
    private RpcCall(RpcCall root, TBase<?, ?> args) {
        this.runtime = root.runtime;
        this.target = root.target;
        this.root = root;
        this.args = args;
        this.callerMethod = root.callerMethod;
        this.backward = root.backward;
        this.hashKey = root.hashKey;
        this.rpcTimeout = root.rpcTimeout;
        // Per attempt, as Kitex's rpcTimeoutMW under its retry: the middleware bounds the whole call.
        this.deadlineNanos = rpcTimeout == null ? 0 : System.nanoTime() + rpcTimeout.toNanos();
        this.connectTimeoutMillis = root.connectTimeoutMillis;
        this.sendConnectTimeout = root.sendConnectTimeout;
    }

    static int toMillis(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
    }

    /** Runs the call through {@code chain}; the returned future is the chain's. */
    CompletableFuture<Object> startChain(Endpoint chain) {
        CompletableFuture<Object> f;
        try {
            f = chain.invoke(this, args);
            if (f == null) {
                f = CompletableFuture.failedFuture(new NullPointerException("a client middleware returned null"));
            }
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        final CompletableFuture<Object> outcome = f;
        outcome.whenComplete((v, e) -> {
            if (outcome.isCancelled()) {
                cancelAttempts();
            }
        });
        return outcome;
    }

    /** The chain's future was cancelled: so are every attempt started and every one started later. */
    private void cancelAttempts() {
        final List<RpcCall> started;
        synchronized (this) {
            chainCancelled = true;
            started = others == null ? List.of() : List.copyOf(others);
        }
        cancel();
        for (RpcCall a : started) {
            a.cancel();
        }
    }

    /** The terminal endpoint, on root: the first invocation starts this call, later ones new attempts. */
    private CompletableFuture<Object> startAttempt(TBase<?, ?> args) {
        final int n = ATTEMPTS.incrementAndGet(this);
        final RpcCall a;
        if (n == 1) {
            this.args = args;
            a = this;
        } else {
            a = new RpcCall(this, args);
            final String latest = remote;
            if (latest != null && Boolean.TRUE.equals(attribute(SAME_INSTANCE))) {
                a.sameAddress = latest;
            } else {
                a.avoid = used;
            }
            final boolean cancelled;
            synchronized (this) {
                cancelled = chainCancelled;
                if (!cancelled) {
                    if (others == null) {
                        others = new ArrayList<>(4);
                    }
                    others.add(a);
                }
            }
            if (cancelled) {
                a.cancel();
                return a.future;
            }
        }
        // The snapshot: a later setMetainfo (for the next attempt) does not change what this one sends.
        a.sending = metainfo;
        currentAttempt = a;
        a.startTries();
        return a.future;
    }

    /** Starts the call without middleware; the outcome arrives in {@link #future}. */
    void start() {
        attempt = 1;
        startTries();
    }

    private void startTries() {
        if (runtime.resources().isClosed()) {
            fail(new ClientClosedException("client is closed"));
            return;
        }
        if (root.startFailure != null) {
            fail(root.startFailure);
            return;
        }
        if (deadlineNanos != 0) {
            final long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0) {
                onTimeout();
                return;
            }
            try {
                timeout = runtime.resources().group().next().schedule(this, remaining, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // The KitexResources were closed under us.
                fail(new ClientClosedException("client is closed"));
                return;
            }
        }
        nextAttempt(null);
    }

    /** The RPC timeout fired (this is the task scheduled for it: one object less per call). */
    @Override
    public void run() {
        onTimeout();
    }

    private boolean finished() {
        return finished != 0;
    }

    private boolean finish() {
        return FINISHED.compareAndSet(this, 0, 1);
    }

    /** Gives up (an interrupted blocking caller): like a timeout, without completing the future. */
    void cancel() {
        future.cancel(false);
    }

    // ------------------------------------------------------------------ attempts

    private void nextAttempt(Throwable previous) {
        if (finished()) {
            return;
        }
        tries++;
        final CompletableFuture<Picker> picker = runtime.endpoints().picker();
        if (picker.isDone()) {
            pickAndConnect(picker.getNow(null), picker, previous);
        } else {
            picker.whenComplete((p, e) -> pickAndConnect(p, picker, previous));
        }
    }

    private void pickAndConnect(Picker picker, CompletableFuture<Picker> source, Throwable previous) {
        if (finished()) {
            return;
        }
        if (picker == null) {
            fail(source.isCancelled() ? new ClientClosedException("client is closed")
                    : new NoInstanceException("no instance for service '" + calleeService() + "': "
                            + runtime.endpoints().describeEmpty()));
            return;
        }
        final String address;
        if (sameAddress != null && tries == 1) {
            // SAME_INSTANCE, as Kitex's RetrySameNode sets the previous attempt's instance on the retry.
            address = sameAddress;
        } else {
            final Instance instance;
            try {
                instance = Endpoints.pick(picker, hashKey, triedAddresses());
            } catch (AvoidingPicker.GateRejection e) {
                fail(e.rejection(calleeService()));
                return;
            } catch (RuntimeException e) {
                fail(e);
                return;
            }
            if (instance == null) {
                fail(previous != null ? previous
                        : new NoInstanceException("no instance for service '" + calleeService() + "': "
                                + runtime.endpoints().describeEmpty()));
                return;
            }
            address = instance.address();
        }
        addTried(address);
        root.remote = address;
        if (sending != null) {
            root.addUsed(address);
        }
        final CompletableFuture<ClientConnection> connection;
        final ConnectionProvider pool = runtime.connections();
        final long acquireStart = System.nanoTime();
        try {
            final ClientConnection idle = pool.pollIdle(address);
            if (idle != null) {
                pool.acquisitionCounter().record(System.nanoTime() - acquireStart);
                send(idle);
                return;
            }
            connection = pool.acquire(address, connectTimeoutMillis);
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        connection.whenComplete((c, e) -> {
            if (e != null) {
                final RefusedInstancePolicy refusedInstances = runtime.refusedInstances();
                if (refusedInstances != null) {
                    refusedInstances.onConnectFailed(address, e);
                }
                retryOrFail(e, true);
            } else {
                pool.acquisitionCounter().record(System.nanoTime() - acquireStart);
                send(c);
            }
        });
    }

    private java.util.Collection<String> triedAddresses() {
        final String[] earlier = avoid;
        if (earlier != null) {
            // A further attempt of a middleware: its own tries and every earlier attempt's instance.
            final List<String> all = new ArrayList<>(earlier.length + (tried != null ? tried.size() : 1));
            all.addAll(java.util.Arrays.asList(earlier));
            if (tried != null) {
                all.addAll(tried);
            } else if (firstTried != null) {
                all.add(firstTried);
            }
            return all;
        }
        return tried != null ? tried : firstTried != null ? List.of(firstTried) : List.of();
    }

    /** Records an address an attempt picked, for the attempts after it (root only). */
    private synchronized void addUsed(String address) {
        final String[] u = used;
        if (u == null) {
            used = new String[] {address};
            return;
        }
        for (String a : u) {
            if (a.equals(address)) {
                return;
            }
        }
        final String[] grown = java.util.Arrays.copyOf(u, u.length + 1);
        grown[u.length] = address;
        used = grown;
    }

    private void addTried(String address) {
        if (firstTried == null) {
            firstTried = address;
        } else {
            if (tried == null) {
                tried = new ArrayList<>(4);
                tried.add(firstTried);
            }
            tried.add(address);
        }
    }

    private void send(ClientConnection connection) {
        final int seqId = runtime.resources().nextSeqId();
        final Attempt attempt = new Attempt(connection, seqId);
        current = attempt;
        if (finished()) {
            // Timed out or cancelled while connecting: the connection was never used.
            if (attempt.claim()) {
                connection.recycle();
            }
            return;
        }
        final ByteBuf request;
        try {
            request = runtime.encoders().get(runtime, target).encode(connection.alloc(), seqId,
                    connection.multiplexed(), callerMethod, rpcTimeout == null ? -1 : rpcTimeout.toMillis(),
                    sendConnectTimeout ? connectTimeoutMillis : 0, sending != null ? sending : root.metainfo, args);
        } catch (RuntimeException e) {
            if (attempt.claim()) {
                connection.recycle();
            }
            fail(e instanceof KitexEncodeException && e.getCause() instanceof TException ? e.getCause() : e);
            return;
        }
        root.sentBytes = request.readableBytes();
        connection.send(request, seqId, attempt, target.oneway());
    }

    // ------------------------------------------------------------------ outcomes

    private void onFrame(Attempt attempt, KitexFrame frame) {
        if (!finish()) {
            frame.release();
            return;
        }
        cancelTimeout();
        attempt.claim();
        root.receivedBytes = frame.wireBytes();
        Object value = null;
        Throwable error = null;
        boolean reuse = false;
        try {
            final TTHeader header = frame.header();
            if (header != null) {
                final Map<String, String> received = TTHeaderMeta.clientReadBackward(header);
                root.backwardReceived = received;
                if (backward != null) {
                    backward.putAll(received);
                }
                if (!attempt.connection.multiplexed() && header.seqId() != attempt.seqId) {
                    // Kitex only warns here; the payload's seqId is the one that must match.
                    SEQ_ID_MISMATCH.log("TTHeader seqId {} of the reply from {} to {} differs from the request's {}",
                            header.seqId(), attempt.connection.address, target.name(), attempt.seqId);
                }
            }
            final ThriftMessageHeader message = frame.messageHeader();
            switch (message.type()) {
                case ThriftMessageHeader.EXCEPTION ->
                    // Kitex checks neither the name nor the seqId of an exception, and discards the
                    // connection after it (the error reaches ReleaseConn).
                    error = remote(ThriftCodec.decodeException(frame.payload()));
                case ThriftMessageHeader.REPLY -> {
                    if (!message.name().equals(target.name())) {
                        error = remote(new TApplicationException(TApplicationException.WRONG_METHOD_NAME,
                                "wrong method name: expected " + target.name() + ", got " + message.name()));
                    } else if (message.seqId() != attempt.seqId) {
                        error = remote(new TApplicationException(TApplicationException.BAD_SEQUENCE_ID,
                                target.name() + " failed: out of sequence response: expected " + attempt.seqId
                                        + ", got " + message.seqId()));
                    } else {
                        final TBase<?, ?> result = target.newResult();
                        ThriftCodec.decodeMessage(frame.payload(), result, message, runtime.config().maxNestingDepth());
                        reuse = true;
                        // A business status error wins over the (empty) result, as in Kitex.
                        final BizStatusException biz = TTHeaderMeta.clientReadBizStatus(header);
                        if (biz != null) {
                            error = biz;
                        } else {
                            value = target.unwrap(result);
                        }
                    }
                }
                default -> error = remote(new TApplicationException(TApplicationException.INVALID_MESSAGE_TYPE,
                        target.name() + " failed: invalid message type " + ThriftMessageHeader.typeName(message.type())));
            }
            if (reuse && TTHeaderMeta.clientReadConnectionReset(header)) {
                // The server is going away (Kitex's ConnResetTag): do not send it more on this connection.
                reuse = false;
            }
        } catch (KitexCodecException e) {
            reuse = false;
            error = badReply(attempt.connection.address, e);
        } catch (TApplicationException e) {
            // MISSING_RESULT from unwrap(): the reply was well-formed, the connection is fine.
            error = remote(e);
        } catch (TException e) {
            // A declared exception from unwrap(): an ordinary reply, the connection is fine.
            error = e;
        } catch (RuntimeException e) {
            reuse = false;
            error = e;
        } finally {
            frame.release();
        }
        if (reuse) {
            attempt.connection.recycle();
        } else {
            attempt.connection.discard();
        }
        if (error != null) {
            future.completeExceptionally(error);
        } else {
            future.complete(value);
        }
    }

    private void onSent(Attempt attempt) {
        if (!finish()) {
            return;
        }
        cancelTimeout();
        // Kitex closes the connection after a oneway call (ConnWrapper.ReleaseConn): the server
        // never answers, so nothing tells when it has read the request.
        if (attempt.claim()) {
            attempt.connection.discard();
        }
        future.complete(null);
    }

    private void onFailure(Attempt attempt, Throwable cause, boolean retryable) {
        if (finished() || !attempt.claim()) {
            return;
        }
        attempt.connection.discard();
        if (cause instanceof EncoderException) {
            fail(cause instanceof KitexEncodeException && cause.getCause() instanceof TException ? cause.getCause() : cause);
            return;
        }
        retryOrFail(cause, retryable);
    }

    private void retryOrFail(Throwable cause, boolean retryable) {
        if (finished()) {
            return;
        }
        final int maxAttempts = runtime.config().maxAttempts();
        if (retryable && !runtime.resources().isClosed() && tries < maxAttempts
                && (deadlineNanos == 0 || deadlineNanos - System.nanoTime() > 0)) {
            log.debug("Try {} of {} to call {} failed, retrying: {}", tries, maxAttempts,
                    target.name(), LogValues.escape(cause.toString(), 2 * LogValues.MAX_CHARS));
            nextAttempt(cause);
            return;
        }
        fail(cause);
    }

    private void fail(Throwable cause) {
        if (finish()) {
            cancelTimeout();
            future.completeExceptionally(cause);
        }
    }

    private void onTimeout() {
        if (!finish()) {
            return;
        }
        abortCurrent();
        final Attempt a = current;
        future.completeExceptionally(new RpcTimeoutException("rpc timeout: timeout="
                + rpcTimeout.toMillis() + "ms, to=" + calleeService() + ", method="
                + target.name() + (a != null ? ", location=" + a.connection.address : ""), rpcTimeout, a != null,
                null));
    }

    private void onCancel() {
        if (finish()) {
            cancelTimeout();
            abortCurrent();
        }
    }

    private void abortCurrent() {
        final Attempt a = current;
        if (a != null && a.claim()) {
            a.connection.abort(a.seqId);
        }
    }

    private void cancelTimeout() {
        final ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** A Thrift application error of the reply, as the one exception type a caller catches for it. */
    static RemoteApplicationException remote(TApplicationException e) {
        return new RemoteApplicationException(e.getMessage(), e.getType(), e);
    }

    /**
     * A reply that could not be decoded (malformed, too deep, too large), as Kitex's
     * {@code remote.ProtocolError}; the cause says what was wrong with it.
     */
    static RemoteApplicationException badReply(String address, Throwable decodeFailure) {
        final Throwable cause = decodeFailure instanceof KitexCodecException && decodeFailure.getCause() instanceof TException
                ? decodeFailure.getCause()
                : new TTransportException(TTransportException.CORRUPTED_DATA, decodeFailure.getMessage(), decodeFailure);
        return new RemoteApplicationException("bad reply from " + address + ": " + decodeFailure.getMessage(),
                TApplicationException.PROTOCOL_ERROR, cause);
    }

    // ------------------------------------------------------------------ CallContext (root's)

    @Override
    public Side side() {
        return Side.CLIENT;
    }

    @Override
    public String callerService() {
        return runtime.config().fromService();
    }

    @Override
    public String callerMethod() {
        return callerMethod;
    }

    @Override
    public String calleeService() {
        return runtime.config().service();
    }

    @Override
    public String idlService() {
        return target.idlService();
    }

    @Override
    public String method() {
        return target.name();
    }

    @Override
    public Transport transport() {
        return runtime.transport();
    }

    @Override
    public boolean oneway() {
        return target.oneway();
    }

    @Override
    public Duration rpcTimeout() {
        return rpcTimeout;
    }

    @Override
    public long deadlineNanos() {
        final RpcCall latest = root.currentAttempt;
        return latest != null ? latest.deadlineNanos : root.deadlineNanos;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        // Parsed only when asked: the hot path keeps the picked address as a string. The client keeps the last
        // one parsed, so that a middleware asking on every call (tracing) gets the same object, not a parse.
        final String r = root.remote;
        return r == null ? null : runtime.remoteAddresses().socketAddress(r);
    }

    @Override
    public int attempt() {
        // Before the first invocation of the endpoint, the attempt it will make.
        return Math.max(1, root.attempt);
    }

    @Override
    public Metainfo metainfo() {
        return root.metainfo;
    }

    @Override
    public void setMetainfo(Metainfo metainfo) {
        root.metainfo = java.util.Objects.requireNonNull(metainfo, "metainfo");
    }

    @Override
    public Map<String, String> backwardValues() {
        return root.backwardReceived;
    }

    /** The request frame of the latest attempt, as encoded (the whole frame). */
    @Override
    public long sentBytes() {
        return root.sentBytes;
    }

    /** The response frame as received (the whole frame); 0 until it came. */
    @Override
    public long receivedBytes() {
        return root.receivedBytes;
    }

    @Override
    public void sendBackward(String key, String value) {
        throw new UnsupportedOperationException("sendBackward is for servers; a client receives backward values");
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T attribute(AttributeKey<T> key) {
        final ConcurrentHashMap<AttributeKey<?>, Object> map = root.attributes;
        return map == null ? null : (T) map.get(java.util.Objects.requireNonNull(key, "key"));
    }

    @Override
    public <T> void setAttribute(AttributeKey<T> key, T value) {
        java.util.Objects.requireNonNull(key, "key");
        final RpcCall r = root;
        ConcurrentHashMap<AttributeKey<?>, Object> map = r.attributes;
        if (map == null) {
            if (value == null) {
                return;
            }
            synchronized (r) {
                map = r.attributes;
                if (map == null) {
                    map = new ConcurrentHashMap<>();
                    r.attributes = map;
                }
            }
        }
        if (value == null) {
            map.remove(key);
        } else {
            map.put(key, value);
        }
    }

    @Override
    public String toString() {
        return "CallContext{CLIENT, " + calleeService() + '.' + method() + ", attempt=" + attempt() + '}';
    }

    /**
     * The future of one attempt: its cancellation (by the caller, or by an interrupted blocking caller)
     * aborts the attempt. A subclass rather than a {@code whenComplete} callback: no callback objects per
     * call, and nothing to run when the call completes.
     */
    static final class CallFuture extends CompletableFuture<Object> {
        private final RpcCall call;
        // The blocking caller parked in await(), if any.
        private volatile Thread waiter;

        CallFuture(RpcCall call) {
            this.call = call;
        }

        /**
         * {@link #get()} for the blocking stub, lighter: the caller parks itself and the completing thread
         * unparks it, with no {@code Signaller} object and no completion stack to walk.
         */
        Object await() throws InterruptedException, java.util.concurrent.ExecutionException {
            if (!isDone()) {
                waiter = Thread.currentThread();
                try {
                    // complete() writes the result, then reads waiter; we write waiter, then read the result.
                    while (!isDone()) {
                        java.util.concurrent.locks.LockSupport.park(this);
                        if (Thread.interrupted()) {
                            throw new InterruptedException();
                        }
                    }
                } finally {
                    waiter = null;
                }
            }
            return get();
        }

        private void wake() {
            final Thread w = waiter;
            if (w != null) {
                java.util.concurrent.locks.LockSupport.unpark(w);
            }
        }

        @Override
        public boolean complete(Object value) {
            final boolean completed = super.complete(value);
            wake();
            return completed;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            final boolean cancelled = super.cancel(mayInterruptIfRunning);
            wake();
            if (isCancelled()) {
                call.onCancel();
            }
            return cancelled;
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            final boolean completed = super.completeExceptionally(ex);
            wake();
            if (completed && ex instanceof java.util.concurrent.CancellationException) {
                call.onCancel();
            }
            return completed;
        }
    }

    private static final AtomicIntegerFieldUpdater<Attempt> CLAIMED =
            AtomicIntegerFieldUpdater.newUpdater(Attempt.class, "claimed");

    /** One request on one connection. */
    private final class Attempt implements Exchange {
        final ClientConnection connection;
        final int seqId;
        volatile int claimed;

        Attempt(ClientConnection connection, int seqId) {
            this.connection = connection;
            this.seqId = seqId;
        }

        /** Whether the caller is the one to hand the connection back. */
        boolean claim() {
            return CLAIMED.compareAndSet(this, 0, 1);
        }

        @Override
        public void operationComplete(io.netty.channel.ChannelFuture f) {
            connection.onWritten(f, seqId, this, target.oneway());
        }

        @Override
        public void onFrame(ClientConnection c, KitexFrame frame) {
            RpcCall.this.onFrame(this, frame);
        }

        @Override
        public void onFailure(ClientConnection c, Throwable cause, boolean retryable) {
            RpcCall.this.onFailure(this, cause, retryable);
        }

        @Override
        public void onSent(ClientConnection c) {
            RpcCall.this.onSent(this);
        }
    }
}
