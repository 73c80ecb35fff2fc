package io.kitex4j.opentelemetry.internal;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.CallContext;

/**
 * What the client and the server tracing middleware share: their {@link Instrumentation}, and the check that they
 * run on their own side of a call (a misplaced one passes calls through untraced, with a rate-limited warning).
 */
abstract class SideTracing implements Middleware {

    private static final Logger log = LoggerFactory.getLogger(SideTracing.class);
    private static final RateLimitedLog WRONG_SIDE = new RateLimitedLog(log, Level.WARN, "tracing_wrong_side");

    final Instrumentation instrumentation;
    private final CallContext.Side side;
    private final String wrongSideMessage;

    SideTracing(Instrumentation instrumentation, CallContext.Side side, String wrongSideMessage) {
        this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
        this.side = side;
        this.wrongSideMessage = wrongSideMessage;
    }

    @Override
    public final Endpoint wrap(Endpoint next) {
        Objects.requireNonNull(next, "next");
        return (ctx, request) -> {
            if (ctx.side() != side) {
                WRONG_SIDE.log(wrongSideMessage);
                return next.invoke(ctx, request);
            }
            return call(next, ctx, request);
        };
    }

    /**
     * {@code kitex.recv_size} as Kitex counts it: {@code RPCStats.RecvSize()} is the bytes its codec read
     * ({@code in.ReadLen()} after decoding), and the 4-byte frame length of Framed and TTHeaderFramed is skipped,
     * not read (Kitex {@code pkg/remote/codec/default_codec.go:checkPayload} calls {@code in.Skip(4)}, which
     * netpoll's {@code ReadLen} does not count). So: the whole frame received, less those 4 bytes when framed;
     * 0 when nothing came.
     */
    static long kitexRecvSize(CallContext ctx) {
        final long bytes = ctx.receivedBytes();
        return bytes > 0 && ctx.transport().isFramed() ? bytes - 4 : bytes;
    }

    /** Traces one call on this middleware's side. */
    abstract CompletableFuture<Object> call(Endpoint next, CallContext ctx, Object request);
}
