package io.kitex4j.thriftrpc.client;

import io.kitex4j.thriftrpc.internal.transmeta.BizStatusHeaders;
import io.kitex4j.thriftrpc.internal.transmeta.MetainfoHeaders;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.Picker;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.KitexEncodeException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.EncoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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
 * <p>A call makes at most {@code maxAttempts} attempts. Each attempt picks an instance (avoiding
 * those that already failed), takes a connection, sends the request with a fresh sequence id and
 * waits. Only failures that prove the server did not process the request start another attempt:
 * the connection could not be opened or written to, or a reused pooled connection turned out to
 * be closed before any reply byte came. Anything else ends the call.
 *
 * <p>Whatever comes first among the reply, a final failure, the RPC timeout and a cancellation
 * wins ({@link #finished}); the others then do nothing but release what they hold. Each attempt's
 * connection is handed back exactly once ({@link Attempt#claim()}).
 */
final class RpcCall {

    private static final Logger log = LoggerFactory.getLogger(RpcCall.class);
    // A peer's doing, so rate limited (per process: a client has no counters to expose yet).
    private static final RateLimitedLog SEQ_ID_MISMATCH = new RateLimitedLog(log, Level.WARN, "ttheader_seqid_mismatch");

    private final KitexClient client;
    private final CallTarget target;
    private final TBase<?, ?> args;
    private final Metainfo metainfo;
    private final String fromMethod;
    private final BackwardValues backward;
    private final String hashKey;
    private final long rpcTimeoutNanos;
    private final boolean sendRpcTimeout;
    private final int connectTimeoutMillis;
    private final boolean sendConnectTimeout;
    private final long startNanos = System.nanoTime();

    final CompletableFuture<Object> future = new CompletableFuture<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicReference<Attempt> current = new AtomicReference<>();
    private volatile ScheduledFuture<?> timeout;
    // Touched by one attempt at a time; each attempt starts from the previous one's callback.
    private int attempts;
    private final List<String> tried = new ArrayList<>(2);

    RpcCall(KitexClient client, CallTarget target, TBase<?, ?> args, CallOptions options, Metainfo metainfo,
            String fromMethod, BackwardValues backward) {
        this.client = client;
        this.target = target;
        this.args = args;
        this.metainfo = metainfo;
        this.fromMethod = fromMethod;
        this.backward = backward;
        this.hashKey = options.hashKey();
        final java.time.Duration rpcTimeout = options.rpcTimeout() != null ? options.rpcTimeout() : client.rpcTimeout();
        this.rpcTimeoutNanos = rpcTimeout == null ? 0 : rpcTimeout.toNanos();
        this.sendRpcTimeout = rpcTimeoutNanos > 0;
        if (options.connectTimeout() != null) {
            this.connectTimeoutMillis = toMillis(options.connectTimeout());
            this.sendConnectTimeout = true;
        } else {
            this.connectTimeoutMillis = toMillis(client.connectTimeout());
            this.sendConnectTimeout = client.connectTimeoutSet();
        }
    }

    private static int toMillis(java.time.Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
    }

    /** Starts the call; the outcome arrives in {@link #future}. */
    void start() {
        if (rpcTimeoutNanos > 0) {
            timeout = client.resources().group().next().schedule(this::onTimeout, rpcTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        future.whenComplete((v, e) -> {
            if (future.isCancelled()) {
                onCancel();
            }
        });
        nextAttempt(null);
    }

    /** Gives up (an interrupted blocking caller): like a timeout, without completing the future. */
    void cancel() {
        future.cancel(false);
    }

    // ------------------------------------------------------------------ attempts

    private void nextAttempt(Throwable previous) {
        if (finished.get()) {
            return;
        }
        attempts++;
        final CompletableFuture<Picker> picker = client.endpoints().picker();
        if (picker.isDone()) {
            pickAndConnect(picker.getNow(null), picker, previous);
        } else {
            picker.whenComplete((p, e) -> pickAndConnect(p, picker, previous));
        }
    }

    private void pickAndConnect(Picker picker, CompletableFuture<Picker> source, Throwable previous) {
        if (finished.get()) {
            return;
        }
        if (picker == null) {
            fail(new NoInstanceException("no instance for service '" + client.service() + "': "
                    + (source.isCancelled() ? "client is closed" : client.endpoints().describeEmpty())));
            return;
        }
        final Instance instance;
        try {
            instance = Endpoints.pick(picker, hashKey, tried);
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        if (instance == null) {
            fail(previous != null ? previous
                    : new NoInstanceException("no instance for service '" + client.service() + "': "
                            + client.endpoints().describeEmpty()));
            return;
        }
        final String address = instance.address();
        tried.add(address);
        final CompletableFuture<ClientConnection> connection;
        try {
            connection = client.connections().acquire(address, connectTimeoutMillis);
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        connection.whenComplete((c, e) -> {
            if (e != null) {
                final RefusedInstancePolicy refusedInstances = client.refusedInstances();
                if (refusedInstances != null) {
                    refusedInstances.onConnectFailed(address, e);
                }
                retryOrFail(e, true);
            } else {
                send(c);
            }
        });
    }

    private void send(ClientConnection connection) {
        final int seqId = client.resources().nextSeqId();
        final Attempt attempt = new Attempt(connection, seqId);
        current.set(attempt);
        if (finished.get()) {
            // Timed out or cancelled while connecting: the connection was never used.
            if (attempt.claim()) {
                connection.recycle();
            }
            return;
        }
        final KitexFrame frame;
        try {
            frame = encode(connection.alloc(), seqId, connection.multiplexed());
        } catch (RuntimeException e) {
            if (attempt.claim()) {
                connection.recycle();
            }
            fail(e instanceof KitexEncodeException && e.getCause() instanceof TException ? e.getCause() : e);
            return;
        }
        connection.send(frame, seqId, attempt, target.oneway());
    }

    private KitexFrame encode(ByteBufAllocator alloc, int seqId, boolean multiplexed) {
        final byte type = target.oneway() ? ThriftMessageHeader.ONEWAY : ThriftMessageHeader.CALL;
        final Transport transport = client.transport();
        TTHeader header = null;
        if (transport.hasTTHeader()) {
            // What Kitex's ClientTTHeaderHandler and MetainfoClientHandler write
            // (pkg/transmeta/ttheader.go, pkg/transmeta/metainfo.go).
            final TTHeader.Builder b = TTHeader.builder()
                    .seqId(seqId)
                    .flags(multiplexed ? TTHeader.FLAG_SUPPORT_OUT_OF_ORDER : 0)
                    .intValue(MetaKeys.TRANSPORT_TYPE, transport.isFramed() ? "framed" : "unframed")
                    .intValue(MetaKeys.FROM_SERVICE, client.fromService())
                    .intValue(MetaKeys.FROM_METHOD, fromMethod)
                    .intValue(MetaKeys.TO_SERVICE, client.service())
                    .intValue(MetaKeys.TO_METHOD, target.name())
                    .intValue(MetaKeys.MSG_TYPE, Integer.toString(type));
            if (sendRpcTimeout) {
                b.intValue(MetaKeys.RPC_TIMEOUT, Long.toString(TimeUnit.NANOSECONDS.toMillis(rpcTimeoutNanos)));
            }
            if (sendConnectTimeout) {
                b.intValue(MetaKeys.CONNECT_TIMEOUT, Integer.toString(connectTimeoutMillis));
            }
            MetainfoHeaders.write(metainfo, b);
            if (!target.idlService().isEmpty()) {
                b.string(MetaKeys.ISN, target.idlService());
            }
            header = b.build();
        }
        final ByteBuf payload = ThriftCodec.encodeMessage(alloc, target.name(), type, seqId, args);
        return new KitexFrame(transport, header, payload);
    }

    // ------------------------------------------------------------------ outcomes

    private void onFrame(Attempt attempt, KitexFrame frame) {
        if (!finished.compareAndSet(false, true)) {
            frame.release();
            return;
        }
        cancelTimeout();
        attempt.claim();
        Object value = null;
        Throwable error = null;
        boolean reuse = false;
        try {
            final TTHeader header = frame.header();
            if (header != null) {
                if (backward != null) {
                    backward.putAll(header.strings());
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
                    error = ThriftCodec.decodeException(frame.payload());
                case ThriftMessageHeader.REPLY -> {
                    if (!message.name().equals(target.name())) {
                        error = new TApplicationException(TApplicationException.WRONG_METHOD_NAME,
                                "wrong method name: expected " + target.name() + ", got " + message.name());
                    } else if (message.seqId() != attempt.seqId) {
                        error = new TApplicationException(TApplicationException.BAD_SEQUENCE_ID,
                                target.name() + " failed: out of sequence response: expected " + attempt.seqId
                                        + ", got " + message.seqId());
                    } else {
                        final TBase<?, ?> result = target.newResult();
                        ThriftCodec.decodeMessage(frame.payload(), result, message, client.maxNestingDepth());
                        reuse = true;
                        // A business status error wins over the (empty) result, as in Kitex.
                        final BizStatusException biz = BizStatusHeaders.fromResponse(header);
                        if (biz != null) {
                            error = biz;
                        } else {
                            value = target.unwrap(result);
                        }
                    }
                }
                default -> error = new TApplicationException(TApplicationException.INVALID_MESSAGE_TYPE,
                        target.name() + " failed: invalid message type " + ThriftMessageHeader.typeName(message.type()));
            }
            if (reuse && header != null && header.strings().containsKey(MetaKeys.CRRST)) {
                // The server is going away (Kitex's ConnResetTag): do not send it more on this connection.
                reuse = false;
            }
        } catch (KitexCodecException e) {
            reuse = false;
            error = e.getCause() instanceof TException te ? te
                    : new TTransportException(TTransportException.CORRUPTED_DATA,
                            "bad reply from " + attempt.connection.address + ": " + e.getMessage(), e);
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
        if (!finished.compareAndSet(false, true)) {
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
        if (finished.get() || !attempt.claim()) {
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
        if (finished.get()) {
            return;
        }
        if (retryable && !client.resources().isClosed() && attempts < client.maxAttempts()
                && (rpcTimeoutNanos == 0 || System.nanoTime() - startNanos < rpcTimeoutNanos)) {
            log.debug("Attempt {} of {} to call {} failed, retrying: {}", attempts, client.maxAttempts(),
                    target.name(), LogValues.escape(cause.toString(), 2 * LogValues.MAX_CHARS));
            nextAttempt(cause);
            return;
        }
        fail(cause);
    }

    private void fail(Throwable cause) {
        if (finished.compareAndSet(false, true)) {
            cancelTimeout();
            future.completeExceptionally(cause);
        }
    }

    private void onTimeout() {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        abortCurrent();
        final Attempt a = current.get();
        future.completeExceptionally(new RpcTimeoutException("rpc timeout: timeout="
                + TimeUnit.NANOSECONDS.toMillis(rpcTimeoutNanos) + "ms, to=" + client.service() + ", method="
                + target.name() + (a != null ? ", location=" + a.connection.address : "")));
    }

    private void onCancel() {
        if (finished.compareAndSet(false, true)) {
            cancelTimeout();
            abortCurrent();
        }
    }

    private void abortCurrent() {
        final Attempt a = current.get();
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

    /** One request on one connection. */
    private final class Attempt implements Exchange {
        final ClientConnection connection;
        final int seqId;
        private final AtomicBoolean claimed = new AtomicBoolean();

        Attempt(ClientConnection connection, int seqId) {
            this.connection = connection;
            this.seqId = seqId;
        }

        /** Whether the caller is the one to hand the connection back. */
        boolean claim() {
            return claimed.compareAndSet(false, true);
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
