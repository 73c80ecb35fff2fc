package io.kitex4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * Java to Java over real sockets: what the client middleware sends (compared with what a Go client with
 * obs-opentelemetry v0.3.0 sends, reference section 7), and what the server middleware makes of it.
 */
@ExtendWith(NettyLeakDetection.class)
@SuppressWarnings("try") // scopes opened only to be closed
class PropagationTest {

    private final Telemetry telemetry = new Telemetry();

    @AfterEach
    void close() throws Exception {
        telemetry.close();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"TTHEADER", "TTHEADER_FRAMED"})
    void ttheaderCarriesTheTraceAndBaggageToTheServer(Transport transport) throws Exception {
        final TracedInteropHandler handler = new TracedInteropHandler("backend");
        final KitexServer server = telemetry.server(InteropService.class, handler, "backend",
                                                    telemetry.tracing("backend").serverMiddleware());
        final KitexClient client = telemetry.client("backend", "frontend", server, transport,
                                                    telemetry.tracing("frontend").clientMiddleware());
        final Span root = telemetry.sdk.getTracer("test").spanBuilder("root").startSpan();
        final Baggage baggage = Baggage.builder().put("user", "alice").build();
        try (Scope s = Context.current().with(root).with(baggage).makeCurrent()) {
            assertThat(client.stub(InteropService.Iface.class).echoString("hi")).isEqualTo("hi");
        } finally {
            root.end();
        }

        final SpanData clientSpan = telemetry.span(SpanKind.CLIENT, "backend");
        final SpanData serverSpan = telemetry.span(SpanKind.SERVER, "backend");
        final String traceId = root.getSpanContext().getTraceId();
        assertThat(clientSpan.getTraceId()).isEqualTo(traceId);
        assertThat(serverSpan.getTraceId()).isEqualTo(traceId);
        assertThat(clientSpan.getParentSpanId()).isEqualTo(root.getSpanContext().getSpanId());
        assertThat(serverSpan.getParentSpanId()).isEqualTo(clientSpan.getSpanId());
        assertThat(serverSpan.getParentSpanContext().isRemote()).isTrue();
        assertThat(clientSpan.getName()).isEqualTo("interop.InteropService/echoString");
        assertThat(serverSpan.getName()).isEqualTo("interop.InteropService/echoString");
        assertThat(serverSpan.getInstrumentationScopeInfo().getName()).isEqualTo(KitexTracing.INSTRUMENTATION_NAME);

        final String protocol = transport == Transport.TTHEADER ? "TTHeader" : "TTHeader|Framed";
        assertThat(clientSpan.getAttributes().asMap()).containsAllEntriesOf(Map.of(
                KitexAttributes.RPC_SYSTEM, "kitex", KitexAttributes.RPC_SYSTEM_NAME, "kitex",
                KitexAttributes.RPC_SERVICE, "backend", KitexAttributes.RPC_METHOD, "echoString",
                KitexAttributes.REQUEST_PROTOCOL, protocol, KitexAttributes.SERVER_ADDRESS, "backend",
                KitexAttributes.NETWORK_PEER_ADDRESS, "127.0.0.1",
                KitexAttributes.NETWORK_PEER_PORT, (long) server.localAddress().getPort()));
        assertThat(clientSpan.getAttributes().get(KitexAttributes.PEER_SERVICE)).isNull();
        assertThat(serverSpan.getAttributes().asMap()).containsAllEntriesOf(Map.of(
                KitexAttributes.RPC_SYSTEM, "kitex", KitexAttributes.RPC_SERVICE, "backend",
                KitexAttributes.RPC_METHOD, "echoString", KitexAttributes.REQUEST_PROTOCOL, protocol,
                KitexAttributes.PEER_SERVICE, "frontend", KitexAttributes.NETWORK_PEER_ADDRESS, "127.0.0.1"));
        // Sizes as Kitex counts them (SizesAndMdcTest has the exact values); the server's reply is framed later.
        assertThat(serverSpan.getAttributes().get(KitexAttributes.KITEX_RECV_SIZE))
                .isEqualTo(clientSpan.getAttributes().get(KitexAttributes.KITEX_SEND_SIZE) - (transport.isFramed() ? 4 : 0));
        assertThat(serverSpan.getAttributes().get(KitexAttributes.KITEX_SEND_SIZE)).isNull();

        // The handler ran with the server span and the caller's baggage current.
        final SpanContext seen = handler.spanContexts.get(0);
        assertThat(seen.getSpanId()).isEqualTo(serverSpan.getSpanId());
        assertThat(handler.baggages.get(0).getEntryValue("user")).isEqualTo("alice");
    }

    /** What reference section 7 lists for a Go client with obs-opentelemetry v0.3.0 and its default propagators. */
    @Test
    void theClientSendsExactlyTheTransientKeysAGoClientSends() throws Exception {
        // A server without tracing reports the raw TTHeader string keys it received.
        final KitexServer server = telemetry.server(InteropService.class, new InteropHandler("raw"), "raw");
        final KitexClient client = telemetry.client("raw", "frontend", server, Transport.TTHEADER_FRAMED,
                                                    telemetry.tracing("frontend").clientMiddleware());
        final Span root = telemetry.sdk.getTracer("test").spanBuilder("root").startSpan();
        CallInfo info;
        try (Scope s = root.makeCurrent()) {
            info = client.stub(InteropService.Iface.class).callInfo();
        } finally {
            root.end();
        }
        final SpanData clientSpan = telemetry.span(SpanKind.CLIENT, "raw");
        final String t = clientSpan.getTraceId();
        final String sp = clientSpan.getSpanId();
        // Go sends flags 01. The Java SDK also sets W3C Trace Context level 2's random-trace-id bit (03), which
        // OpenTelemetry Go rejects in a version-00 traceparent (TracingInteropTest): kitex4j sends the sampled bit only.
        assertThat(clientSpan.getSpanContext().getTraceFlags().asHex()).isIn("01", "03");
        assertThat(rpcKeys(info)).isEqualTo(new TreeMap<>(Map.of(
                "RPC_TRANSIT_traceparent", "00-" + t + "-" + sp + "-01",
                "RPC_TRANSIT_b3", t + "-" + sp + "-1",
                "RPC_TRANSIT_ot-tracer-traceid", t.substring(16),
                "RPC_TRANSIT_ot-tracer-spanid", sp,
                "RPC_TRANSIT_ot-tracer-sampled", "true",
                "RPC_TRANSIT_service.name", "frontend")));
    }

    @Test
    void withBaggageNamespaceAndEnvironmentTheClientAlsoSendsTheirKeys() throws Exception {
        final KitexServer server = telemetry.server(InteropService.class, new InteropHandler("raw"), "raw");
        final KitexTracing tracing = KitexTracing.builder().openTelemetry(telemetry.sdk).serviceName("frontend")
                                                 .serviceNamespace("shop").deploymentEnvironment("staging").build();
        final KitexClient client = telemetry.client("raw", "frontend", server, Transport.TTHEADER,
                                                    tracing.clientMiddleware());
        CallInfo info;
        try (Scope s = Baggage.builder().put("user", "alice").build().makeCurrent()) {
            info = client.stub(InteropService.Iface.class).callInfo();
        }
        final SpanData clientSpan = telemetry.span(SpanKind.CLIENT, "raw");
        assertThat(clientSpan.getParentSpanContext().isValid()).isFalse();
        assertThat(rpcKeys(info).keySet()).containsExactlyInAnyOrder(
                "RPC_TRANSIT_traceparent", "RPC_TRANSIT_b3", "RPC_TRANSIT_ot-tracer-traceid",
                "RPC_TRANSIT_ot-tracer-spanid", "RPC_TRANSIT_ot-tracer-sampled", "RPC_TRANSIT_service.name",
                "RPC_TRANSIT_service.namespace", "RPC_TRANSIT_deployment.environment",
                "RPC_TRANSIT_baggage", "RPC_TRANSIT_ot-baggage-user");
        assertThat(rpcKeys(info)).containsEntry("RPC_TRANSIT_baggage", "user=alice")
                                 .containsEntry("RPC_TRANSIT_ot-baggage-user", "alice")
                                 .containsEntry("RPC_TRANSIT_service.namespace", "shop")
                                 .containsEntry("RPC_TRANSIT_deployment.environment", "staging");
    }

    @Test
    void anUnsampledTraceIsStillPropagatedAsUnsampled() throws Exception {
        try (Telemetry unsampled = new Telemetry(Sampler.alwaysOff())) {
            final KitexServer server = unsampled.server(InteropService.class, new InteropHandler("raw"), "raw");
            final KitexClient client = unsampled.client("raw", "frontend", server, Transport.TTHEADER_FRAMED,
                                                        unsampled.tracing("frontend").clientMiddleware());
            final Map<String, String> keys = rpcKeys(client.stub(InteropService.Iface.class).callInfo());
            assertThat(keys.get("RPC_TRANSIT_traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
            assertThat(keys.get("RPC_TRANSIT_b3")).endsWith("-0");
            assertThat(keys).containsEntry("RPC_TRANSIT_ot-tracer-sampled", "false")
                            .containsEntry("RPC_TRANSIT_service.name", "frontend");
            assertThat(unsampled.spans()).isEmpty();
            // Metrics do not depend on sampling (Go records none for an unsampled call).
            assertThat(unsampled.metric(KitexAttributes.CLIENT_DURATION)).isPresent();
        }
    }

    @Test
    void withoutAConfiguredServiceNameTheClientsFromServiceIsSent() throws Exception {
        final KitexServer server = telemetry.server(InteropService.class, new InteropHandler("raw"), "raw");
        final KitexClient client = telemetry.client("raw", "checkout", server, Transport.TTHEADER_FRAMED,
                                                    KitexTracing.create(telemetry.sdk).clientMiddleware());
        assertThat(rpcKeys(client.stub(InteropService.Iface.class).callInfo()))
                .containsEntry("RPC_TRANSIT_service.name", "checkout");
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"FRAMED", "BUFFERED"})
    void framedAndBufferedCarryNoMetainfoSoTheServerStartsANewTrace(Transport transport) throws Exception {
        final KitexServer server = telemetry.server(InteropService.class, new TracedInteropHandler("backend"),
                                                    "backend", telemetry.tracing("backend").serverMiddleware());
        final KitexClient client = telemetry.client("backend", "frontend", server, transport,
                                                    telemetry.tracing("frontend").clientMiddleware());
        assertThat(client.stub(InteropService.Iface.class).echoString("hi")).isEqualTo("hi");
        final SpanData clientSpan = telemetry.span(SpanKind.CLIENT, "backend");
        final SpanData serverSpan = telemetry.span(SpanKind.SERVER, "backend");
        assertThat(serverSpan.getTraceId()).isNotEqualTo(clientSpan.getTraceId());
        assertThat(serverSpan.getParentSpanContext().isValid()).isFalse();
        assertThat(serverSpan.getAttributes().get(KitexAttributes.PEER_SERVICE)).isNull();
        assertThat(serverSpan.getAttributes().get(KitexAttributes.REQUEST_PROTOCOL))
                .isEqualTo(transport == Transport.FRAMED ? "Framed" : "PurePayload");
    }

    @Test
    void theServerAcceptsCgiStyleKeysAndIgnoresPersistentOnes() throws Exception {
        final TracedInteropHandler handler = new TracedInteropHandler("backend");
        final KitexServer server = telemetry.server(InteropService.class, handler, "backend",
                                                    telemetry.tracing("backend").serverMiddleware());
        // A client without tracing, sending what a Go peer's CGI-style conversion would accept.
        final KitexClient plain = telemetry.client("backend", "go-peer", server, Transport.TTHEADER_FRAMED);
        final String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        final String spanId = "00f067aa0ba902b7";
        try (Metainfo.Scope s = Metainfo.empty().withTransient("TRACEPARENT", "00-" + traceId + "-" + spanId + "-01")
                                        .withTransient("service.name", "go-peer").attach()) {
            plain.stub(InteropService.Iface.class).echoString("upper");
        }
        final SpanData continued = telemetry.spans().get(0);
        assertThat(continued.getTraceId()).isEqualTo(traceId);
        assertThat(continued.getParentSpanId()).isEqualTo(spanId);
        assertThat(continued.getAttributes().get(KitexAttributes.PEER_SERVICE)).isEqualTo("go-peer");

        telemetry.exporter.reset();
        try (Metainfo.Scope s = Metainfo.empty().withPersistent("traceparent", "00-" + traceId + "-" + spanId + "-01")
                                        .attach()) {
            plain.stub(InteropService.Iface.class).echoString("persistent");
        }
        final SpanData fresh = telemetry.spans().get(0);
        assertThat(fresh.getTraceId()).isNotEqualTo(traceId);
        assertThat(fresh.getParentSpanContext().isValid()).isFalse();
    }

    @Test
    void theServerContinuesATraceFromB3OrOtAlone() throws Exception {
        final KitexServer server = telemetry.server(InteropService.class, new TracedInteropHandler("backend"),
                                                    "backend", telemetry.tracing("backend").serverMiddleware());
        final KitexClient plain = telemetry.client("backend", "zipkin-peer", server, Transport.TTHEADER_FRAMED);
        final String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        try (Metainfo.Scope s = Metainfo.empty().withTransient("b3", traceId + "-00f067aa0ba902b7-1").attach()) {
            plain.stub(InteropService.Iface.class).echoString("b3");
        }
        try (Metainfo.Scope s = Metainfo.empty().withTransient("ot-tracer-traceid", "a3ce929d0e0e4736")
                                        .withTransient("ot-tracer-spanid", "00f067aa0ba902b8")
                                        .withTransient("ot-tracer-sampled", "true").attach()) {
            plain.stub(InteropService.Iface.class).echoString("ot");
        }
        assertThat(telemetry.spans()).extracting(SpanData::getTraceId, SpanData::getParentSpanId).containsExactly(
                org.assertj.core.groups.Tuple.tuple(traceId, "00f067aa0ba902b7"),
                org.assertj.core.groups.Tuple.tuple("0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b8"));
    }

    /** The RPC_ string keys of the request's TTHeader as the server received them. */
    static TreeMap<String, String> rpcKeys(CallInfo info) {
        final TreeMap<String, String> keys = new TreeMap<>();
        info.getHeaderStrings().forEach((k, v) -> {
            if (k.startsWith("RPC_")) {
                keys.put(k, v);
            }
        });
        return keys;
    }
}
