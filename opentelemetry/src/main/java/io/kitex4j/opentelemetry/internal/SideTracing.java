package io.kitex4j.opentelemetry.internal;

import java.util.Objects;

import io.kitex4j.core.middleware.OneSidedMiddleware;
import io.kitex4j.core.rpc.CallContext;

/**
 * What the client and the server tracing middleware share: their {@link Instrumentation}, and the check that they
 * run on their own side of a call (a misplaced one passes calls through untraced, with a rate-limited warning).
 */
abstract class SideTracing extends OneSidedMiddleware {

    final Instrumentation instrumentation;

    SideTracing(Instrumentation instrumentation, CallContext.Side side, String wrongSideMessage) {
        super(side, wrongSideMessage);
        this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
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
}
