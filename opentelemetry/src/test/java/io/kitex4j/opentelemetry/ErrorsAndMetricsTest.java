package io.kitex4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;

/**
 * Outcomes as obs-opentelemetry records them (an error only for what Kitex's stats count as one: not a declared
 * exception, not a business status), and the four duration histograms.
 */
@ExtendWith(NettyLeakDetection.class)
class ErrorsAndMetricsTest {

    private final Telemetry telemetry = new Telemetry();
    private InteropService.Iface stub;
    private KitexServer server;

    @BeforeEach
    void start() {
        server = telemetry.server(InteropService.class, new TracedInteropHandler("backend"), "backend",
                                  telemetry.tracing("backend").serverMiddleware());
        final KitexClient client = telemetry.client("backend", "frontend", server, Transport.TTHEADER_FRAMED,
                                                    telemetry.tracing("frontend").clientMiddleware());
        stub = client.stub(InteropService.Iface.class);
    }

    @AfterEach
    void close() throws Exception {
        telemetry.close();
    }

    @Test
    void anUndeclaredHandlerExceptionIsAnErrorOnBothSpans() {
        assertThatThrownBy(() -> stub.fail("boom")).isInstanceOf(RemoteApplicationException.class);
        final SpanData client = telemetry.span(SpanKind.CLIENT, "backend");
        final SpanData server = telemetry.span(SpanKind.SERVER, "backend");
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getStatus().getDescription()).contains("biz error: boom");
        assertThat(client.getAttributes().get(KitexAttributes.ERROR_TYPE))
                .isEqualTo(RemoteApplicationException.class.getName());
        assertThat(exceptionType(client)).isEqualTo(RemoteApplicationException.class.getName());
        assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(server.getStatus().getDescription()).isEqualTo("biz error: boom");
        assertThat(exceptionType(server)).isEqualTo(IllegalStateException.class.getName());
        assertThat(server.getAttributes().get(KitexAttributes.ERROR_TYPE))
                .isEqualTo(IllegalStateException.class.getName());
    }

    @Test
    void aDeclaredExceptionIsNotAnErrorAsInGo() {
        assertThatThrownBy(() -> stub.throwDeclared(1, 400, "bad")).isInstanceOf(InvalidArgument.class);
        for (SpanData s : List.of(telemetry.span(SpanKind.CLIENT, "backend"), telemetry.span(SpanKind.SERVER, "backend"))) {
            assertThat(s.getStatus().getStatusCode()).as(s.getKind().name()).isEqualTo(StatusCode.UNSET);
            assertThat(s.getEvents()).isEmpty();
            assertThat(s.getAttributes().get(KitexAttributes.DECLARED_EXCEPTION)).isEqualTo(InvalidArgument.class.getName());
            assertThat(s.getAttributes().get(KitexAttributes.ERROR_TYPE)).isNull();
        }
    }

    @Test
    void aBusinessStatusIsNotAnErrorAsInGoAndIsRecordedOnBothSpans() {
        assertThatThrownBy(() -> stub.bizError(4001, "no stock", Map.of("sku", "42")))
                .isInstanceOfSatisfying(BizStatusException.class, e -> assertThat(e.statusCode()).isEqualTo(4001));
        for (SpanData s : List.of(telemetry.span(SpanKind.CLIENT, "backend"), telemetry.span(SpanKind.SERVER, "backend"))) {
            assertThat(s.getStatus().getStatusCode()).as(s.getKind().name()).isEqualTo(StatusCode.UNSET);
            assertThat(s.getAttributes().get(KitexAttributes.BIZ_STATUS_CODE)).isEqualTo(4001L);
            assertThat(s.getAttributes().get(KitexAttributes.BIZ_STATUS_MESSAGE)).isEqualTo("no stock");
        }
    }

    @Test
    void aTimeoutIsAnErrorOnTheClientSpan() throws Exception {
        final KitexClient impatient = KitexClient.builder().service("backend").addresses(Telemetry.address(server))
                .transport(Transport.TTHEADER).rpcTimeout(Duration.ofMillis(100))
                .middleware(telemetry.tracing("frontend").clientMiddleware()).build();
        try (impatient) {
            assertThatThrownBy(() -> impatient.stub(InteropService.Iface.class).sleep(1000))
                    .isInstanceOf(RpcTimeoutException.class);
        }
        final SpanData client = telemetry.spans().get(0);
        assertThat(client.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getStatus().getDescription()).startsWith("rpc timeout");
        assertThat(client.getAttributes().get(KitexAttributes.ERROR_TYPE)).isEqualTo(RpcTimeoutException.class.getName());
    }

    @Test
    void aConnectFailureIsAnErrorWithNoPeerAddress() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        final KitexClient nowhere = KitexClient.builder().service("gone").addresses("127.0.0.1:" + port)
                .transport(Transport.TTHEADER_FRAMED).avoidRefusedInstances(false)
                .middleware(telemetry.tracing("frontend").clientMiddleware()).build();
        try (nowhere) {
            assertThatThrownBy(() -> nowhere.stub(InteropService.Iface.class).ping())
                    .isInstanceOf(ConnectFailedException.class);
        }
        final SpanData client = telemetry.span(SpanKind.CLIENT, "gone");
        assertThat(client.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(client.getAttributes().get(KitexAttributes.ERROR_TYPE))
                .isEqualTo(ConnectFailedException.class.getName());
    }

    @Test
    void durationsAreRecordedWithGosNamesAndAttributesAndTheStableOnes() throws Exception {
        assertThat(stub.echoString("ok")).isEqualTo("ok");
        assertThatThrownBy(() -> stub.fail("boom")).isInstanceOf(RemoteApplicationException.class);

        final MetricData goClient = telemetry.metric(KitexAttributes.CLIENT_DURATION).orElseThrow();
        assertThat(goClient.getUnit()).isEmpty();
        assertThat(goClient.getInstrumentationScopeInfo().getName()).isEqualTo(KitexTracing.INSTRUMENTATION_NAME);
        final Map<String, String> goCommon = Map.of("rpc.system", "kitex", "rpc.service", "backend",
                                                    "request.protocol", "TTHeader|Framed");
        assertThat(points(goClient)).containsOnlyKeys(
                with(goCommon, "rpc.method", "echoString", "service.name", "frontend", "status.code", "Unset"),
                with(goCommon, "rpc.method", "fail", "service.name", "frontend", "status.code", "Error"));

        final MetricData goServer = telemetry.metric(KitexAttributes.SERVER_DURATION).orElseThrow();
        assertThat(points(goServer)).containsOnlyKeys(
                with(goCommon, "rpc.method", "echoString", "service.name", "backend", "peer.service", "frontend",
                     "status.code", "Unset"),
                with(goCommon, "rpc.method", "fail", "service.name", "backend", "peer.service", "frontend",
                     "status.code", "Error"));
        // Milliseconds: a loopback call takes well under a second, but more than a nanosecond.
        for (HistogramPointData p : goServer.getHistogramData().getPoints()) {
            assertThat(p.getCount()).isEqualTo(1);
            assertThat(p.getSum()).isGreaterThan(0.0).isLessThan(1000.0);
        }

        final MetricData stableClient = telemetry.metric(KitexAttributes.CLIENT_CALL_DURATION).orElseThrow();
        assertThat(stableClient.getUnit()).isEqualTo("s");
        assertThat(points(stableClient)).containsOnlyKeys(
                Map.of("rpc.system.name", "kitex", "rpc.method", "interop.InteropService/echoString",
                       "server.address", "backend"),
                Map.of("rpc.system.name", "kitex", "rpc.method", "interop.InteropService/fail",
                       "server.address", "backend", "error.type", RemoteApplicationException.class.getName()));
        final MetricData stableServer = telemetry.metric(KitexAttributes.SERVER_CALL_DURATION).orElseThrow();
        assertThat(stableServer.getUnit()).isEqualTo("s");
        assertThat(points(stableServer)).containsOnlyKeys(
                Map.of("rpc.system.name", "kitex", "rpc.method", "interop.InteropService/echoString"),
                Map.of("rpc.system.name", "kitex", "rpc.method", "interop.InteropService/fail",
                       "error.type", IllegalStateException.class.getName()));
        for (HistogramPointData p : stableServer.getHistogramData().getPoints()) {
            assertThat(p.getSum()).isGreaterThan(0.0).isLessThan(1.0);
            assertThat(p.getBoundaries()).startsWith(0.005, 0.01);
        }
    }

    @Test
    void repeatedCallsOfOneShapeRecordIntoOnePoint() throws Exception {
        for (int i = 0; i < 20; i++) {
            stub.echoString("again");
        }
        final MetricData goClient = telemetry.metric(KitexAttributes.CLIENT_DURATION).orElseThrow();
        assertThat(goClient.getHistogramData().getPoints()).singleElement()
                .satisfies(p -> assertThat(p.getCount()).isEqualTo(20));
    }

    private static String exceptionType(SpanData span) {
        return span.getEvents().stream().filter(e -> e.getName().equals("exception")).map(EventData::getAttributes)
                   .map(a -> a.get(AttributeKey.stringKey("exception.type"))).findFirst().orElse(null);
    }

    private static Map<Map<String, String>, HistogramPointData> points(MetricData metric) {
        final java.util.HashMap<Map<String, String>, HistogramPointData> points = new java.util.HashMap<>();
        for (HistogramPointData p : metric.getHistogramData().getPoints()) {
            points.put(asStrings(p.getAttributes()), p);
        }
        return points;
    }

    private static Map<String, String> asStrings(Attributes attributes) {
        final java.util.HashMap<String, String> m = new java.util.HashMap<>();
        attributes.forEach((k, v) -> m.put(k.getKey(), String.valueOf(v)));
        return m;
    }

    private static Map<String, String> with(Map<String, String> base, String... kv) {
        final java.util.HashMap<String, String> m = new java.util.HashMap<>(base);
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
