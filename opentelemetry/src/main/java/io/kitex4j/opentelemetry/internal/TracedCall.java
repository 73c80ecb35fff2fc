package io.kitex4j.opentelemetry.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.core.middleware.ObservedCall;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.CallOutcome;
import io.opentelemetry.api.trace.Span;

/**
 * One traced call, and the future its middleware returns: it ends the span and records the metrics when the
 * next endpoint's future completes, then completes itself with the same outcome. So the span has ended (and a
 * synchronous span processor has exported it) before the caller, or the server's reply, sees the result. A
 * cancellation of this future (the caller's, or the server's deadline) ends the span too. One object per call
 * serves as future, callback and the call's state.
 */
abstract class TracedCall extends ObservedCall {

    private static final Logger log = LoggerFactory.getLogger(TracedCall.class);
    // The SDK's doing, not a peer's, but one failure per call must not become a log storm.
    private static final RateLimitedLog FINISH_FAILED = new RateLimitedLog(log, Level.WARN, "tracing_finish_failed");

    final Instrumentation instrumentation;
    final MethodEntry method;
    final CallContext context;
    final Span span;
    final long startNanos;

    TracedCall(Instrumentation instrumentation, MethodEntry method, CallContext context, Span span, long startNanos) {
        this.instrumentation = instrumentation;
        this.method = method;
        this.context = context;
        this.span = span;
        this.startNanos = startNanos;
    }

    @Override
    protected final void onEnd(Throwable failure) {
        try {
            finish(CallOutcome.cause(failure), System.nanoTime() - startNanos);
        } catch (Throwable t) {
            FINISH_FAILED.log("Failed to end the span of {}: {}", LogValues.escape(method.spanName), t.toString());
        }
    }

    /** Ends the span and records the metrics; {@code cause} is {@code null} on success. */
    abstract void finish(Throwable cause, long durationNanos);
}
