package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.kitex4j.core.Transport;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.opentelemetry.KitexTracing;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

/**
 * One trace across Go and Java: Go Kitex peers with kitex-contrib/obs-opentelemetry v0.3.0 ({@code -otel}, spans
 * as JSON lines in a file) and kitex4j with {@code KitexTracing} (spans in the SDK's in-memory exporter).
 */
class TracingInteropTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final InMemorySpanExporter javaSpans = InMemorySpanExporter.create();
    private OpenTelemetrySdk sdk;
    private KitexTracing tracing;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp() {
        sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(javaSpans)).build()).build();
        tracing = KitexTracing.builder().openTelemetry(sdk).serviceName("java-svc")
                .idlPackage("InteropService", "interop").build();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        sdk.close();
    }

    /** Go client → kitex4j server → Go server, one trace; the kitex4j hop continues the Go trace and passes it on. */
    @ParameterizedTest
    @ValueSource(strings = {"ttheader", "ttheader-framed"})
    void goToJavaToGoIsOneTrace(String goTransport) throws Exception {
        final Path goServerSpans = dir.resolve("go-server.jsonl");
        final Path goClientSpans = dir.resolve("go-client.jsonl");
        final GoServer downstream = later(GoPeers.server("-otel", "-otel-spans", goServerSpans.toString(),
                "-service", "go-b", "-name", "go-b"));
        final KitexServer java = javaServer(Transport.TTHEADER_FRAMED);
        final GoClientRun run = GoPeers.client("-otel", "-otel-spans", goClientSpans.toString(),
                "-caller-service", "go-a", "-addr", "127.0.0.1:" + java.port(), "-transport", goTransport,
                "-scenario", "callInfoVia", "-msg", downstream.address, "-baggage", "team=payments");
        assertThat(run.exitCode()).as("%s", run).isZero();

        final JsonNode goClient = single(goClientSpans, "client");
        final String traceId = goClient.get("traceId").asText();
        final SpanData javaServer = javaSpan(SpanKind.SERVER);
        final SpanData javaClient = javaSpan(SpanKind.CLIENT);
        final JsonNode goServer = single(goServerSpans, "server");

        assertThat(javaServer.getTraceId()).as("kitex4j server continues the Go trace").isEqualTo(traceId);
        assertThat(javaServer.getParentSpanId()).isEqualTo(goClient.get("spanId").asText());
        assertThat(javaServer.getParentSpanContext().isRemote()).isTrue();
        assertThat(javaServer.getName()).isEqualTo(goClient.get("name").asText())
                .isEqualTo("interop.InteropService/callInfoVia");
        assertThat(javaServer.getAttributes().asMap().toString()).contains("rpc.system=kitex")
                .contains("peer.service=go-a");
        assertThat(javaClient.getTraceId()).isEqualTo(traceId);
        assertThat(javaClient.getParentSpanId()).isEqualTo(javaServer.getSpanId());
        assertThat(goServer.get("traceId").asText()).as("the Go server continues the kitex4j hop").isEqualTo(traceId);
        assertThat(goServer.get("parentSpanId").asText()).isEqualTo(javaClient.getSpanId());
        assertThat(goServer.get("name").asText()).isEqualTo("interop.InteropService/callInfo");
        assertThat(goServer.path("attributes").path("peer.service").asText()).isEqualTo("java-svc");
        assertThat(goServer.path("attributes").path("rpc.system").asText()).isEqualTo("kitex");
        // W3C baggage from the Go client reaches the Go server through the kitex4j hop
        assertThat(goServer.path("baggage").path("team").asText()).isEqualTo("payments");
    }

    /** kitex4j client → Go server → kitex4j server, one trace, baggage intact. */
    @Test
    void javaToGoToJavaIsOneTrace() throws Exception {
        final Path goSpans = dir.resolve("go.jsonl");
        final KitexServer java = javaServer(Transport.TTHEADER_FRAMED);
        final GoServer go = later(GoPeers.server("-otel", "-otel-spans", goSpans.toString(), "-service", "go-mid",
                "-name", "go-mid", "-downstream-transport", "ttheader"));
        final KitexClient client = later(KitexClient.builder().service("go-mid").fromService("java-svc")
                .addresses(go.address).transport(Transport.TTHEADER_FRAMED).rpcTimeout(Duration.ofSeconds(5))
                .middleware(tracing.clientMiddleware()).build());
        final CallInfo info;
        try (Scope s = Context.current().with(Baggage.builder().put("team", "payments").build()).makeCurrent()) {
            info = client.stub(InteropService.Iface.class).callInfoVia("127.0.0.1:" + java.port());
        }
        assertThat(info).isNotNull();

        final List<SpanData> clients = javaSpans.getFinishedSpanItems().stream()
                .filter(sp -> sp.getKind() == SpanKind.CLIENT).toList();
        assertThat(clients).hasSize(1);
        final SpanData javaClient = clients.get(0);
        final String traceId = javaClient.getTraceId();
        final JsonNode goServer = single(goSpans, "server");
        final JsonNode goClient = single(goSpans, "client");
        final SpanData javaServer = javaSpan(SpanKind.SERVER);

        assertThat(goServer.get("traceId").asText()).as("the Go server continues the kitex4j trace").isEqualTo(traceId);
        assertThat(goServer.get("parentSpanId").asText()).isEqualTo(javaClient.getSpanId());
        assertThat(goServer.path("baggage").path("team").asText()).isEqualTo("payments");
        assertThat(goClient.get("traceId").asText()).isEqualTo(traceId);
        assertThat(goClient.get("parentSpanId").asText()).isEqualTo(goServer.get("spanId").asText());
        assertThat(javaServer.getTraceId()).isEqualTo(traceId);
        assertThat(javaServer.getParentSpanId()).isEqualTo(goClient.get("spanId").asText());
        assertThat(javaServer.getAttributes().asMap().toString()).contains("peer.service=go-mid");
    }

    /** Framed has no header: neither Go nor kitex4j propagates; the kitex4j server starts a new trace, as Go's does. */
    @Test
    void framedCarriesNoTraceAsBetweenGoPeers() throws Exception {
        final Path goClientSpans = dir.resolve("go-client.jsonl");
        final KitexServer java = javaServer(Transport.FRAMED);
        final GoClientRun run = GoPeers.client("-otel", "-otel-spans", goClientSpans.toString(),
                "-addr", "127.0.0.1:" + java.port(), "-transport", "framed", "-scenario", "callInfo");
        assertThat(run.exitCode()).as("%s", run).isZero();
        final JsonNode goClient = single(goClientSpans, "client");
        final SpanData javaServer = javaSpan(SpanKind.SERVER);
        assertThat(javaServer.getTraceId()).isNotEqualTo(goClient.get("traceId").asText());
        assertThat(javaServer.getParentSpanContext().isValid()).isFalse();
    }

    private KitexServer javaServer(Transport unused) {
        final InteropHandler handler = later(new InteropHandler("java-1", "java-svc")
                .downstreamClient(b -> b.middleware(tracing.clientMiddleware())));
        return later(KitexServer.builder().address("127.0.0.1", 0).serviceName("java-svc")
                .service(InteropService.class, handler).middleware(tracing.serverMiddleware())
                .exitWait(Duration.ZERO).shutdownHook(false).build().startBlocking());
    }

    private SpanData javaSpan(SpanKind kind) {
        final List<SpanData> spans = javaSpans.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind)
                .toList();
        assertThat(spans).as("kitex4j %s spans: %s", kind, javaSpans.getFinishedSpanItems()).hasSize(1);
        return spans.get(0);
    }

    private static JsonNode single(Path file, String kind) throws IOException {
        final List<JsonNode> spans = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            final JsonNode n = JSON.readTree(line);
            if (kind.equals(n.path("kind").asText())) {
                spans.add(n);
            }
        }
        assertThat(spans).as("Go %s spans in %s", kind, file).hasSize(1);
        return spans.get(0);
    }

    private <T extends AutoCloseable> T later(T c) {
        closeables.add(c);
        return c;
    }
}
