package io.kitex4j.opentelemetry.internal;

import static io.kitex4j.opentelemetry.KitexAttributes.BIZ_STATUS_CODE;
import static io.kitex4j.opentelemetry.KitexAttributes.BIZ_STATUS_MESSAGE;
import static io.kitex4j.opentelemetry.KitexAttributes.DECLARED_EXCEPTION;
import static io.kitex4j.opentelemetry.KitexAttributes.ERROR_TYPE;
import static io.kitex4j.opentelemetry.KitexAttributes.KITEX;
import static io.kitex4j.opentelemetry.KitexAttributes.KITEX_RECV_SIZE;
import static io.kitex4j.opentelemetry.KitexAttributes.METAINFO_DEPLOYMENT_ENVIRONMENT;
import static io.kitex4j.opentelemetry.KitexAttributes.METAINFO_SERVICE_NAME;
import static io.kitex4j.opentelemetry.KitexAttributes.METAINFO_SERVICE_NAMESPACE;
import static io.kitex4j.opentelemetry.KitexAttributes.NETWORK_PEER_ADDRESS;
import static io.kitex4j.opentelemetry.KitexAttributes.NETWORK_PEER_PORT;
import static io.kitex4j.opentelemetry.KitexAttributes.PEER_DEPLOYMENT_ENVIRONMENT;
import static io.kitex4j.opentelemetry.KitexAttributes.PEER_SERVICE;
import static io.kitex4j.opentelemetry.KitexAttributes.PEER_SERVICE_NAMESPACE;
import static io.kitex4j.opentelemetry.KitexAttributes.REQUEST_PROTOCOL;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_METHOD;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_SERVICE;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_SYSTEM;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_SYSTEM_NAME;
import static io.kitex4j.opentelemetry.KitexAttributes.SOURCE_OPERATION;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.slf4j.MDC;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.CallOutcome;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * The server middleware: obs-opentelemetry's {@code serverTracer} and {@code ServerMiddleware} in one. Extracts the
 * caller's trace from the request's transient metainfo, starts the SERVER span as its child, and makes the span's
 * {@link Context} (with the extracted baggage) current while the rest of the chain and the handler method run.
 * Not API: get it from {@code KitexTracing.serverMiddleware()}.
 */
public final class ServerTracing extends SideTracing {

    /** Kitex's {@code kerrors.ErrBiz} text, which Go's server span carries as its status description. */
    private static final String BIZ_ERROR_PREFIX = "biz error: ";

    /** The SLF4J MDC key of the server span's trace id (32 hex). */
    public static final String MDC_TRACE_ID = "trace_id";
    /** The SLF4J MDC key of the server span's span id (16 hex). */
    public static final String MDC_SPAN_ID = "span_id";

    private final boolean mdc;

    /**
     * The server middleware of {@code instrumentation}; with {@code mdc}, the server span's ids are in the SLF4J
     * MDC while the handler method runs.
     */
    public ServerTracing(Instrumentation instrumentation, boolean mdc) {
        super(instrumentation, CallContext.Side.SERVER,
                "KitexTracing.serverMiddleware() runs on a client; not tracing (use clientMiddleware())");
        this.mdc = mdc;
    }

    @Override
    @SuppressWarnings("try") // the scope is only closed
    protected CompletableFuture<Object> call(Endpoint next, CallContext ctx, Object request) {
        final Instrumentation in = instrumentation;
        final MethodEntry m = in.method(ctx.idlService(), ctx.method());
        final String protocol = Protocols.name(ctx.transport());
        final String callee = ctx.calleeService();
        // Go's metainfo.GetAllValues: the transients received (upstream by now) and any a middleware set.
        final Map<String, String> transients = ctx.metainfo().transients();
        final Context extracted = in.propagator.extract(Context.current(), new MetainfoCarriers.Carrier(transients),
                                                          MetainfoCarriers.GETTER);
        // Go's extractPeerServiceAttributesFromMetaInfo reads the raw keys, without the CGI conversion.
        final String peerService = transients.get(METAINFO_SERVICE_NAME);
        final String peerNamespace = transients.get(METAINFO_SERVICE_NAMESPACE);
        final String peerEnvironment = transients.get(METAINFO_DEPLOYMENT_ENVIRONMENT);
        final SpanBuilder b = in.tracer.spanBuilder(m.spanName).setParent(extracted).setSpanKind(SpanKind.SERVER)
                                       .setAttribute(RPC_SYSTEM, KITEX).setAttribute(RPC_SYSTEM_NAME, KITEX)
                                       .setAttribute(RPC_METHOD, ctx.method()).setAttribute(RPC_SERVICE, callee)
                                       .setAttribute(REQUEST_PROTOCOL, protocol)
                                       // Go: ri.Stats().RecvSize() (see kitexRecvSize). Its SendSize is the
                                       // reply's, framed after this span ends, so kitex4j leaves it out.
                                       .setAttribute(KITEX_RECV_SIZE, kitexRecvSize(ctx));
        if (peerService != null) {
            b.setAttribute(PEER_SERVICE, peerService);
        }
        if (peerNamespace != null) {
            b.setAttribute(PEER_SERVICE_NAMESPACE, peerNamespace);
        }
        if (peerEnvironment != null) {
            b.setAttribute(PEER_DEPLOYMENT_ENVIRONMENT, peerEnvironment);
        }
        final InetSocketAddress remote = ctx.remoteAddress();
        if (remote != null) {
            b.setAttribute(NETWORK_PEER_ADDRESS, remote.getHostString());
            b.setAttribute(NETWORK_PEER_PORT, (long) remote.getPort());
        }
        final String sourceOperation = in.recordSourceOperation ? ctx.callerMethod() : null;
        if (sourceOperation != null) {
            b.setAttribute(SOURCE_OPERATION, sourceOperation);
        }
        final Span span = b.startSpan();
        final Context serverContext = extracted.with(span);
        final String own = in.serviceName.isEmpty() ? callee : in.serviceName;
        final ServerCall call = new ServerCall(in, m, ctx, span, System.nanoTime(), own, protocol, sourceOperation,
                                               peerService, peerNamespace, peerEnvironment);
        CompletableFuture<Object> f;
        // The handler method runs inside next.invoke on this thread (synchronous handlers entirely, asynchronous
        // ones until they return their stage), so Span.current() and Baggage.current() are the call's there, and
        // a traced client call made there is this span's child.
        final SpanContext sc = span.getSpanContext();
        final boolean withMdc = mdc && sc.isValid();
        // The handler's thread is this one (HandlerLanes/the handler executor), so its log lines carry the ids;
        // the previous values (a server serving inline on a caller's thread) come back afterwards.
        final String previousTraceId = withMdc ? MDC.get(MDC_TRACE_ID) : null;
        final String previousSpanId = withMdc ? MDC.get(MDC_SPAN_ID) : null;
        if (withMdc) {
            MDC.put(MDC_TRACE_ID, sc.getTraceId());
            MDC.put(MDC_SPAN_ID, sc.getSpanId());
        }
        try (Scope ignored = serverContext.makeCurrent()) {
            f = next.invoke(ctx, request);
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        } finally {
            if (withMdc) {
                restore(MDC_TRACE_ID, previousTraceId);
                restore(MDC_SPAN_ID, previousSpanId);
            }
        }
        return call.follow(f);
    }

    private static void restore(String key, String previous) {
        if (previous == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, previous);
        }
    }

    private static final class ServerCall extends TracedCall {

        private static final long serialVersionUID = 0L;

        private final String own;
        private final String protocol;
        private final String sourceOperation;
        private final String peerService;
        private final String peerNamespace;
        private final String peerEnvironment;

        ServerCall(Instrumentation in, MethodEntry m, CallContext ctx, Span span, long start, String own,
                   String protocol, String sourceOperation, String peerService, String peerNamespace,
                   String peerEnvironment) {
            super(in, m, ctx, span, start);
            this.own = own;
            this.protocol = protocol;
            this.sourceOperation = sourceOperation;
            this.peerService = peerService;
            this.peerNamespace = peerNamespace;
            this.peerEnvironment = peerEnvironment;
        }

        @Override
        void finish(Throwable cause, long nanos) {
            final CallOutcome outcome = CallOutcome.of(cause);
            String errorType = null;
            switch (outcome) {
                case DECLARED_EXCEPTION -> span.setAttribute(DECLARED_EXCEPTION, cause.getClass().getName());
                case BIZ_STATUS -> {
                    final BizStatusException biz = (BizStatusException) cause;
                    span.setAttribute(BIZ_STATUS_CODE, (long) biz.statusCode());
                    span.setAttribute(BIZ_STATUS_MESSAGE, biz.statusMessage());
                }
                case TIMEOUT, FAILURE -> {
                    errorType = cause.getClass().getName();
                    // What the caller is told, as a Kitex server's span says it (kerrors.ErrBiz around the error).
                    span.setStatus(StatusCode.ERROR, cause instanceof Exception
                            ? BIZ_ERROR_PREFIX + ClientTracing.describe(cause) : cause.toString());
                    span.recordException(cause);
                    span.setAttribute(ERROR_TYPE, errorType);
                }
                default -> {
                }
            }
            span.end();
            instrumentation.recordServer(method, context.calleeService(), protocol, sourceOperation, own,
                                         peerService, peerNamespace, peerEnvironment, outcome.isError(),
                                         errorType, nanos);
        }
    }
}
