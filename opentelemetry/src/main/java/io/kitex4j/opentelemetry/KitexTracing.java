package io.kitex4j.opentelemetry;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.opentelemetry.internal.ClientTracing;
import io.kitex4j.opentelemetry.internal.Instrumentation;
import io.kitex4j.opentelemetry.internal.ServerTracing;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.extension.trace.propagation.B3Propagator;
import io.opentelemetry.extension.trace.propagation.OtTracePropagator;

/**
 * OpenTelemetry tracing and metrics for kitex4j clients and servers, compatible with Go Kitex services instrumented
 * with {@code github.com/kitex-contrib/obs-opentelemetry} v0.3.0: the same transient metainfo keys, span names,
 * kinds, attributes and duration metrics, so that Java and Go spans form one trace.
 *
 * <pre>{@code
 * KitexTracing tracing = KitexTracing.builder()
 *         .openTelemetry(openTelemetrySdk)          // default: GlobalOpenTelemetry.get()
 *         .serviceName("frontend")                  // sent as RPC_TRANSIT_service.name
 *         .build();
 * KitexClient client = KitexClient.builder().service("echo").addresses("127.0.0.1:8888")
 *         .transport(Transport.TTHEADER_FRAMED)      // metainfo needs TTHeader
 *         .middleware(tracing.clientMiddleware())
 *         .build();
 * KitexServer server = KitexServer.builder().port(8888).service(EchoServer.class, handler)
 *         .middleware(tracing.serverMiddleware())
 *         .build();
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe; build one per process (or per service identity) and give its
 * middlewares to every client and server. Each call of {@link #clientMiddleware()} and {@link #serverMiddleware()}
 * returns a middleware sharing this instance's instruments and caches.
 */
public final class KitexTracing {

    /** The instrumentation scope name of the tracer and meter kitex4j uses. */
    public static final String INSTRUMENTATION_NAME = Instrumentation.SCOPE_NAME;

    /** The SLF4J MDC key of the server span's trace id while a handler runs (see {@link Builder#mdc}). */
    public static final String MDC_TRACE_ID = ServerTracing.MDC_TRACE_ID;

    /** The SLF4J MDC key of the server span's span id while a handler runs (see {@link Builder#mdc}). */
    public static final String MDC_SPAN_ID = ServerTracing.MDC_SPAN_ID;

    // OtTracePropagator is deprecated in opentelemetry-java (OpenTracing's format is legacy), but it is what
    // obs-opentelemetry's default sends and reads, so a Java peer needs it.
    @SuppressWarnings("deprecation")
    private static final TextMapPropagator DEFAULT_PROPAGATOR = TextMapPropagator.composite(
            B3Propagator.injectingSingleHeader(), OtTracePropagator.getInstance(),
            W3CBaggagePropagator.getInstance(), W3CTraceContextPropagator.getInstance());

    private final Instrumentation instrumentation;
    private final TextMapPropagator propagator;
    private final String serviceName;
    private final String serviceNamespace;
    private final String deploymentEnvironment;
    private final Middleware client;
    private final Middleware server;

    private KitexTracing(Builder b, OpenTelemetry openTelemetry) {
        this.propagator = b.propagator;
        this.serviceName = b.serviceName;
        this.serviceNamespace = b.serviceNamespace;
        this.deploymentEnvironment = b.deploymentEnvironment;
        this.instrumentation = new Instrumentation(openTelemetry, b.propagator, b.serviceName, b.serviceNamespace,
                                                   b.deploymentEnvironment, b.idlPackages, b.recordSourceOperation,
                                                   b.goMetrics, b.stableMetrics);
        this.client = new ClientTracing(instrumentation);
        this.server = new ServerTracing(instrumentation, b.mdc);
    }

    /** A builder with the defaults: {@link GlobalOpenTelemetry}, {@link #defaultPropagator()}, both metric families. */
    public static Builder builder() {
        return new Builder();
    }

    /** Tracing with {@code openTelemetry} and every other default. */
    public static KitexTracing create(OpenTelemetry openTelemetry) {
        return builder().openTelemetry(openTelemetry).build();
    }

    /**
     * obs-opentelemetry v0.3.0's default propagator ({@code provider.defaultConfig}), in its order: B3 (injecting
     * the single {@code b3} header, extracting both forms), OT ({@code ot-tracer-*}, {@code ot-baggage-*}), W3C
     * Baggage, W3C Trace Context. On extraction the last valid one wins, so {@code traceparent} decides when
     * present.
     */
    public static TextMapPropagator defaultPropagator() {
        return DEFAULT_PROPAGATOR;
    }

    /**
     * The client middleware: a CLIENT span per call (parent: {@code Context.current()} where the call is made),
     * the propagator's fields and this service's identity injected as transient metainfo, the span ended and the
     * durations recorded when the call completes, synchronous or asynchronous. Put it first (outermost) to have
     * one span per logical call covering every attempt a retrying middleware makes.
     */
    public Middleware clientMiddleware() {
        return client;
    }

    /**
     * The server middleware: extracts the caller's trace from the request's transient metainfo, starts a SERVER
     * span as its child, makes that span's context (and the extracted baggage) current while the handler method
     * runs, and ends the span and records the durations when the handler's outcome is known. Put it first
     * (outermost).
     */
    public Middleware serverMiddleware() {
        return server;
    }

    /** The propagator used to inject and extract. */
    public TextMapPropagator propagator() {
        return propagator;
    }

    /** The configured service name, or {@code ""} (then each call uses its own side's kitex4j service name). */
    public String serviceName() {
        return serviceName;
    }

    /** The configured service namespace, or {@code ""}. */
    public String serviceNamespace() {
        return serviceNamespace;
    }

    /** The configured deployment environment, or {@code ""}. */
    public String deploymentEnvironment() {
        return deploymentEnvironment;
    }

    @Override
    public String toString() {
        return "KitexTracing{serviceName=" + serviceName + ", propagator=" + propagator + '}';
    }

    /** Builds a {@link KitexTracing}. Not thread-safe; {@link #build()} may be called more than once. */
    public static final class Builder {

        private OpenTelemetry openTelemetry;
        private TextMapPropagator propagator = DEFAULT_PROPAGATOR;
        private String serviceName = "";
        private String serviceNamespace = "";
        private String deploymentEnvironment = "";
        private final Map<String, String> idlPackages = new LinkedHashMap<>();
        private boolean recordSourceOperation;
        private boolean goMetrics = true;
        private boolean stableMetrics = true;
        private boolean mdc = true;

        private Builder() {
        }

        /** The OpenTelemetry to get the tracer and meter from. Default: {@link GlobalOpenTelemetry#get()} at build. */
        public Builder openTelemetry(OpenTelemetry openTelemetry) {
            this.openTelemetry = requireNonNull(openTelemetry, "openTelemetry");
            return this;
        }

        /**
         * The propagator. Default: {@link KitexTracing#defaultPropagator()}, obs-opentelemetry's. Note that Go's
         * middleware uses {@code otel.GetTextMapPropagator()} unless its provider is set up, so a Go service's
         * keys follow what it configured; with obs-opentelemetry's {@code provider.NewOpenTelemetryProvider}
         * they are the default's.
         */
        public Builder propagator(TextMapPropagator propagator) {
            this.propagator = requireNonNull(propagator, "propagator");
            return this;
        }

        /**
         * This process's {@code service.name}, sent by the client middleware as transient metainfo
         * {@code service.name} (Go sends its SDK resource's) and put on the Go-style metrics. Default: none, and
         * then each call uses its own kitex4j name: a client's {@code fromService}, a server's
         * {@code serviceName}; nothing is sent when that is empty.
         */
        public Builder serviceName(String serviceName) {
            this.serviceName = requireNonNull(serviceName, "serviceName");
            return this;
        }

        /** This process's {@code service.namespace}, sent as transient metainfo when not empty. Default: none. */
        public Builder serviceNamespace(String serviceNamespace) {
            this.serviceNamespace = requireNonNull(serviceNamespace, "serviceNamespace");
            return this;
        }

        /** This process's {@code deployment.environment}, sent as transient metainfo when not empty. Default: none. */
        public Builder deploymentEnvironment(String deploymentEnvironment) {
            this.deploymentEnvironment = requireNonNull(deploymentEnvironment, "deploymentEnvironment");
            return this;
        }

        /**
         * The package of an IDL service in span names, as Kitex's generated Go code has it ({@code PackageName},
         * the IDL's {@code namespace go}): with {@code idlPackage("EchoServer", "echo")} spans are named
         * {@code echo.EchoServer/Echo}, as Go's are; without, {@code EchoServer/Echo}. Java's generated code does
         * not know the Go namespace, hence this setting.
         */
        public Builder idlPackage(String idlService, String packageName) {
            requireNonNull(idlService, "idlService");
            requireNonNull(packageName, "packageName");
            if (idlService.isEmpty()) {
                throw new IllegalArgumentException("idlService: \"\" (expected: an IDL service name, e.g. EchoServer)");
            }
            idlPackages.put(idlService, packageName);
            return this;
        }

        /**
         * Whether spans and the Go-style metrics carry {@code source_operation}, the caller's method (Go's
         * {@code WithRecordSourceOperation}; it may make metrics high-cardinality). Default: false.
         */
        public Builder recordSourceOperation(boolean recordSourceOperation) {
            this.recordSourceOperation = recordSourceOperation;
            return this;
        }

        /** Whether to record Go's {@code rpc.client.duration} / {@code rpc.server.duration} (ms). Default: true. */
        public Builder goMetrics(boolean enabled) {
            this.goMetrics = enabled;
            return this;
        }

        /**
         * Whether to record the stable {@code rpc.client.call.duration} / {@code rpc.server.call.duration} (s).
         * Default: true.
         */
        public Builder stableMetrics(boolean enabled) {
            this.stableMetrics = enabled;
            return this;
        }

        /**
         * Whether the server middleware puts the server span's ids into the SLF4J MDC, as {@value KitexTracing#MDC_TRACE_ID}
         * (32 hex) and {@value KitexTracing#MDC_SPAN_ID} (16 hex), while the middleware chain and the handler method run on
         * the handler's thread, restoring the previous values afterwards; so the handler's log lines carry them
         * (e.g. {@code %X{trace_id}} in a logback pattern). Work the handler continues on other threads does not
         * carry the MDC. Default: true.
         */
        public Builder mdc(boolean enabled) {
            this.mdc = enabled;
            return this;
        }

        /** The tracing; with no {@link #openTelemetry} set, {@link GlobalOpenTelemetry#get()} now. */
        public KitexTracing build() {
            return new KitexTracing(this, openTelemetry != null ? openTelemetry : GlobalOpenTelemetry.get());
        }
    }
}
