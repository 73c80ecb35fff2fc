package io.kitex4j.opentelemetry.internal;

import static io.kitex4j.opentelemetry.KitexAttributes.DEPLOYMENT_ENVIRONMENT;
import static io.kitex4j.opentelemetry.KitexAttributes.ERROR_TYPE;
import static io.kitex4j.opentelemetry.KitexAttributes.KITEX;
import static io.kitex4j.opentelemetry.KitexAttributes.PEER_DEPLOYMENT_ENVIRONMENT;
import static io.kitex4j.opentelemetry.KitexAttributes.PEER_SERVICE;
import static io.kitex4j.opentelemetry.KitexAttributes.PEER_SERVICE_NAMESPACE;
import static io.kitex4j.opentelemetry.KitexAttributes.REQUEST_PROTOCOL;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_METHOD;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_SERVICE;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_SYSTEM;
import static io.kitex4j.opentelemetry.KitexAttributes.RPC_SYSTEM_NAME;
import static io.kitex4j.opentelemetry.KitexAttributes.SERVER_ADDRESS;
import static io.kitex4j.opentelemetry.KitexAttributes.SERVER_PORT;
import static io.kitex4j.opentelemetry.KitexAttributes.SERVICE_NAME;
import static io.kitex4j.opentelemetry.KitexAttributes.SERVICE_NAMESPACE;
import static io.kitex4j.opentelemetry.KitexAttributes.SOURCE_OPERATION;
import static io.kitex4j.opentelemetry.KitexAttributes.STATUS_CODE;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import io.kitex4j.opentelemetry.KitexAttributes;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.TextMapPropagator;

/**
 * Everything the two middlewares share, built once by {@code KitexTracing.Builder.build()}: the tracer, the
 * instruments, the propagator, this process's service identity, and the per-method names and attribute sets.
 * Not API.
 */
public final class Instrumentation {

    /** The instrumentation scope name of kitex4j's tracer and meter. */
    public static final String SCOPE_NAME = "io.kitex4j.opentelemetry";
    /** kitex4j's version, the scope version (from the jar's filtered {@code version.properties}). */
    public static final String VERSION = readVersion();

    /** The stable conventions' advice for seconds histograms (semantic-conventions, rpc-metrics). */
    private static final List<Double> SECONDS_BUCKETS =
            List.of(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0);

    private static final String STATUS_UNSET = "Unset";
    private static final String STATUS_ERROR = "Error";

    final Tracer tracer;
    final TextMapPropagator propagator;
    final String serviceName;
    final String serviceNamespace;
    final String deploymentEnvironment;
    final boolean recordSourceOperation;
    private final DoubleHistogram clientDuration;
    private final DoubleHistogram serverDuration;
    private final DoubleHistogram clientCallDuration;
    private final DoubleHistogram serverCallDuration;
    private final Map<String, String> idlPackages;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, MethodEntry>> methods = new ConcurrentHashMap<>();

    /**
     * The shared state of one {@code KitexTracing}. {@code serviceName}, {@code serviceNamespace} and
     * {@code deploymentEnvironment} are empty when not configured.
     */
    public Instrumentation(OpenTelemetry openTelemetry, TextMapPropagator propagator, String serviceName,
                           String serviceNamespace, String deploymentEnvironment, Map<String, String> idlPackages,
                           boolean recordSourceOperation, boolean goMetrics, boolean stableMetrics) {
        this.tracer = openTelemetry.getTracerProvider().tracerBuilder(SCOPE_NAME)
                                   .setInstrumentationVersion(VERSION).build();
        final Meter meter = openTelemetry.getMeterProvider().meterBuilder(SCOPE_NAME)
                                         .setInstrumentationVersion(VERSION).build();
        this.propagator = propagator;
        this.serviceName = serviceName;
        this.serviceNamespace = serviceNamespace;
        this.deploymentEnvironment = deploymentEnvironment;
        this.idlPackages = Map.copyOf(idlPackages);
        this.recordSourceOperation = recordSourceOperation;
        // Go: meter.Float64Histogram(ClientDuration) with no unit and no description, fed milliseconds.
        this.clientDuration = goMetrics ? meter.histogramBuilder(KitexAttributes.CLIENT_DURATION).build() : null;
        this.serverDuration = goMetrics ? meter.histogramBuilder(KitexAttributes.SERVER_DURATION).build() : null;
        this.clientCallDuration = stableMetrics ? meter.histogramBuilder(KitexAttributes.CLIENT_CALL_DURATION)
                .setUnit("s").setDescription("Measures the duration of an outgoing Remote Procedure Call (RPC).")
                .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build() : null;
        this.serverCallDuration = stableMetrics ? meter.histogramBuilder(KitexAttributes.SERVER_CALL_DURATION)
                .setUnit("s").setDescription("Measures the duration of an incoming Remote Procedure Call (RPC).")
                .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build() : null;
    }

    /** The per-method entry, created on the first call of the method. */
    MethodEntry method(String idlService, String method) {
        ConcurrentHashMap<String, MethodEntry> byMethod = methods.get(idlService);
        if (byMethod == null) {
            byMethod = methods.computeIfAbsent(idlService, s -> new ConcurrentHashMap<>());
        }
        final MethodEntry m = byMethod.get(method);
        return m != null ? m : byMethod.computeIfAbsent(method,
                k -> new MethodEntry(idlPackages.getOrDefault(idlService, ""), idlService, k));
    }

    // ---------------------------------------------------------------- metrics

    /** Records a client call in both histogram families. */
    void recordClient(MethodEntry m, String callee, String protocol, String sourceOperation, String own,
                      boolean error, String serverAddress, long serverPort, String errorType, long nanos) {
        final int i = error ? 1 : 0;
        if (clientDuration != null) {
            Attributes a = m.clientGo[i].find(callee, protocol, sourceOperation, own, null, null, null, 0);
            if (a == null) {
                a = m.clientGo[i].store(callee, protocol, sourceOperation, own, null, null, null, 0,
                                        goAttributes(m, callee, protocol, sourceOperation, own, null, null, null,
                                                     error));
            }
            clientDuration.record(nanos / 1e6, a);
        }
        if (clientCallDuration != null) {
            Attributes a = m.clientStable[i].find(serverAddress, errorType, null, null, null, null, null, serverPort);
            if (a == null) {
                final AttributesBuilder b = Attributes.builder().put(RPC_SYSTEM_NAME, KITEX)
                                                      .put(RPC_METHOD, m.spanName);
                if (serverAddress != null && !serverAddress.isEmpty()) {
                    b.put(SERVER_ADDRESS, serverAddress);
                    if (serverPort > 0) {
                        b.put(SERVER_PORT, serverPort);
                    }
                }
                if (errorType != null) {
                    b.put(ERROR_TYPE, errorType);
                }
                a = m.clientStable[i].store(serverAddress, errorType, null, null, null, null, null, serverPort,
                                            b.build());
            }
            clientCallDuration.record(nanos / 1e9, a);
        }
    }

    /** Records a server call in both histogram families. */
    void recordServer(MethodEntry m, String callee, String protocol, String sourceOperation, String own,
                      String peerService, String peerNamespace, String peerEnvironment, boolean error,
                      String errorType, long nanos) {
        final int i = error ? 1 : 0;
        if (serverDuration != null) {
            Attributes a = m.serverGo[i].find(callee, protocol, sourceOperation, own, peerService, peerNamespace,
                                              peerEnvironment, 0);
            if (a == null) {
                a = m.serverGo[i].store(callee, protocol, sourceOperation, own, peerService, peerNamespace,
                                        peerEnvironment, 0,
                                        goAttributes(m, callee, protocol, sourceOperation, own, peerService,
                                                     peerNamespace, peerEnvironment, error));
            }
            serverDuration.record(nanos / 1e6, a);
        }
        if (serverCallDuration != null) {
            Attributes a = m.serverStable[i].find(errorType, null, null, null, null, null, null, 0);
            if (a == null) {
                final AttributesBuilder b = Attributes.builder().put(RPC_SYSTEM_NAME, KITEX)
                                                      .put(RPC_METHOD, m.spanName);
                if (errorType != null) {
                    b.put(ERROR_TYPE, errorType);
                }
                a = m.serverStable[i].store(errorType, null, null, null, null, null, null, 0, b.build());
            }
            serverCallDuration.record(nanos / 1e9, a);
        }
    }

    /**
     * Go's metric attributes ({@code extractMetricsAttributesFromSpan}): the span's {@code rpc.*},
     * {@code peer.*}, {@code request.protocol} and {@code source_operation}, the resource's service identity,
     * and {@code status.code} as Go's {@code codes.Code.String()}.
     */
    private Attributes goAttributes(MethodEntry m, String callee, String protocol, String sourceOperation,
                                    String own, String peerService, String peerNamespace, String peerEnvironment,
                                    boolean error) {
        final AttributesBuilder b = Attributes.builder()
                .put(RPC_SYSTEM, KITEX).put(RPC_METHOD, m.method).put(RPC_SERVICE, callee)
                .put(REQUEST_PROTOCOL, protocol);
        if (sourceOperation != null) {
            b.put(SOURCE_OPERATION, sourceOperation);
        }
        if (peerService != null) {
            b.put(PEER_SERVICE, peerService);
        }
        if (peerNamespace != null) {
            b.put(PEER_SERVICE_NAMESPACE, peerNamespace);
        }
        if (peerEnvironment != null) {
            b.put(PEER_DEPLOYMENT_ENVIRONMENT, peerEnvironment);
        }
        if (!own.isEmpty()) {
            b.put(SERVICE_NAME, own);
        }
        if (!serviceNamespace.isEmpty()) {
            b.put(SERVICE_NAMESPACE, serviceNamespace);
        }
        if (!deploymentEnvironment.isEmpty()) {
            b.put(DEPLOYMENT_ENVIRONMENT, deploymentEnvironment);
        }
        b.put(STATUS_CODE, error ? STATUS_ERROR : STATUS_UNSET);
        return b.build();
    }

    private static String readVersion() {
        try (InputStream in = Instrumentation.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            final Properties p = new Properties();
            p.load(in);
            final String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
