package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.apache.thrift.TException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.opentelemetry.KitexAttributes;
import io.kitex4j.opentelemetry.KitexTracing;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

/**
 * One trace across Go and Java: Go Kitex peers with kitex-contrib/obs-opentelemetry v0.3.0 ({@code -otel}, spans
 * as JSON lines in a file) and kitex4j with {@code KitexTracing} (spans in the SDK's in-memory exporter).
 */
class TracingInteropTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");

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
        // kitex.recv_size/send_size count the same frames on both ends of each hop, as Kitex's RPCStats do: the
        // sender the whole frame, the receiver all of it but the 4-byte frame length it skips (every hop here is
        // TTHeader|Framed).
        assertThat(javaServer.getAttributes().get(KitexAttributes.KITEX_RECV_SIZE))
                .isEqualTo(goClient.path("attributes").path("kitex.send_size").asLong() - 4).isPositive();
        assertThat(goServer.path("attributes").path("kitex.recv_size").asLong())
                .isEqualTo(javaClient.getAttributes().get(KitexAttributes.KITEX_SEND_SIZE) - 4).isPositive();
        assertThat(javaClient.getAttributes().get(KitexAttributes.KITEX_RECV_SIZE))
                .isEqualTo(goServer.path("attributes").path("kitex.send_size").asLong() - 4).isPositive();
    }

    /** What fails on the kitex4j hop of Go client → kitex4j server → Go server, and how each side records it. */
    enum JavaServerOutcome {
        /** The kitex4j handler throws {@code BizStatusException(10001, "quota exceeded")}. */
        BIZ("-scenario", "bizError", "-code", "10001", "-msg", "quota exceeded"),
        /** The kitex4j handler throws the IDL-declared {@code InvalidArgument}. */
        DECLARED("-scenario", "throwDeclared", "-kind", "1", "-code", "400", "-msg", "bad"),
        /** The kitex4j handler throws an undeclared {@code IllegalStateException("boom")}. */
        FAIL("-scenario", "fail", "-msg", "boom");

        final String[] goClientArgs;

        JavaServerOutcome(String... goClientArgs) {
            this.goClientArgs = goClientArgs;
        }
    }

    /**
     * Go client → kitex4j server → Go server, where the kitex4j handler calls the Go server (successfully) and then
     * fails: one trace still, the kitex4j server span records the outcome as kitex4j does (biz status attributes,
     * the declared exception's name, or ERROR with an exception event), and the Go client span exactly as
     * obs-opentelemetry v0.3.0 does: nothing for a biz status or a declared exception, ERROR for the failure.
     */
    @ParameterizedTest
    @EnumSource(JavaServerOutcome.class)
    void goToJavaToGoRecordsTheKitex4jServersOutcomeOnTheRightSpans(JavaServerOutcome outcome) throws Exception {
        final Path goServerSpans = dir.resolve("go-server.jsonl");
        final Path goClientSpans = dir.resolve("go-client.jsonl");
        final GoServer downstream = later(GoPeers.server("-otel", "-otel-spans", goServerSpans.toString(),
                "-service", "go-b", "-name", "go-b"));
        final KitexServer java = javaServer(new CallsOnwardFirst(downstream.address));
        final List<String> args = new ArrayList<>(List.of("-otel", "-otel-spans", goClientSpans.toString(),
                "-caller-service", "go-a", "-addr", "127.0.0.1:" + java.port(), "-transport", "ttheader"));
        args.addAll(List.of(outcome.goClientArgs));
        final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
        final JsonNode call = run.calls().get(0);
        assertThat(call.path("ok").asBoolean()).as("%s", run).isFalse();

        final JsonNode goClient = single(goClientSpans, "client");
        final SpanData javaServer = javaSpan(SpanKind.SERVER);
        final SpanData javaClient = javaSpan(SpanKind.CLIENT);
        final JsonNode goServer = single(goServerSpans, "server");
        final String traceId = goClient.get("traceId").asText();
        assertThat(List.of(javaServer.getTraceId(), javaClient.getTraceId(), goServer.get("traceId").asText()))
                .containsOnly(traceId);
        assertThat(javaServer.getParentSpanId()).isEqualTo(goClient.get("spanId").asText());
        assertThat(javaClient.getParentSpanId()).isEqualTo(javaServer.getSpanId());
        assertThat(goServer.get("parentSpanId").asText()).isEqualTo(javaClient.getSpanId());
        // The onward call succeeded: nothing on its spans.
        assertThat(javaClient.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertGoSpanUnset(goServer);

        final Attributes a = javaServer.getAttributes();
        switch (outcome) {
            case BIZ -> {
                assertThat(call.path("errorKind").asText()).isEqualTo("biz");
                assertThat(call.path("bizCode").asInt()).isEqualTo(10001);
                assertThat(javaServer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
                assertThat(a.get(KitexAttributes.BIZ_STATUS_CODE)).isEqualTo(10001L);
                assertThat(a.get(KitexAttributes.BIZ_STATUS_MESSAGE)).isEqualTo("quota exceeded");
                assertThat(javaServer.getEvents()).isEmpty();
                // obs-opentelemetry v0.3.0 records no biz status: Kitex does not report it as the call's error.
                assertGoSpanUnset(goClient);
                assertThat(goClient.path("attributes").fieldNames()).toIterable()
                        .noneMatch(k -> k.contains("biz") || k.contains("status"));
            }
            case DECLARED -> {
                assertThat(call.path("errorKind").asText()).isEqualTo("declared");
                assertThat(javaServer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
                assertThat(a.get(KitexAttributes.DECLARED_EXCEPTION)).isEqualTo(InvalidArgument.class.getName());
                assertThat(javaServer.getEvents()).isEmpty();
                // A declared exception is a field of a successful result for Kitex.
                assertGoSpanUnset(goClient);
            }
            case FAIL -> {
                assertThat(call.path("errorKind").asText()).isEqualTo("application");
                assertThat(javaServer.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
                assertThat(javaServer.getStatus().getDescription()).isEqualTo("biz error: boom");
                assertThat(a.get(KitexAttributes.ERROR_TYPE)).isEqualTo(IllegalStateException.class.getName());
                assertThat(javaServer.getEvents()).extracting(EventData::getName).containsExactly("exception");
                assertThat(javaServer.getEvents().get(0).getAttributes().get(EXCEPTION_TYPE))
                        .isEqualTo(IllegalStateException.class.getName());
                assertThat(goClient.path("status").path("code").asText()).isEqualTo("error");
                assertThat(goClient.path("status").path("description").asText())
                        .isEqualTo("remote or network error[remote]: biz error: boom");
                final JsonNode exception = goException(goClient);
                assertThat(exception.path("exception.type").asText()).isEqualTo("*kerrors.DetailedError");
                assertThat(exception.path("exception.message").asText())
                        .isEqualTo("remote or network error[remote]: biz error: boom");
            }
            default -> throw new AssertionError(outcome);
        }
    }

    /** What a Go server (obs-opentelemetry) answers a kitex4j client with, and a kitex4j client timeout. */
    enum GoServerOutcome { BIZ, DECLARED, FAIL, TIMEOUT }

    /**
     * kitex4j client → Go server: the kitex4j client span records a biz status (attributes, UNSET), a declared
     * exception (its name, UNSET), a remote failure and a timeout (ERROR, exception event, {@code error.type}); the
     * Go server span exactly what obs-opentelemetry v0.3.0 records: nothing for the biz status and the declared
     * exception, ERROR {@code biz error: boom} with a {@code *remote.TransError} event for the failure, and nothing
     * for a call whose client gave up.
     */
    @ParameterizedTest
    @EnumSource(GoServerOutcome.class)
    void javaToGoRecordsEachOutcomeAsEachSideDoes(GoServerOutcome outcome) throws Exception {
        final Path goSpans = dir.resolve("go.jsonl");
        final GoServer go = later(GoPeers.server("-otel", "-otel-spans", goSpans.toString(), "-service", "go-b",
                "-name", "go-b"));
        final KitexClient client = later(KitexClient.builder().service("go-b").fromService("java-svc")
                .addresses(go.address).transport(Transport.TTHEADER_FRAMED)
                .rpcTimeout(outcome == GoServerOutcome.TIMEOUT ? Duration.ofMillis(300) : Duration.ofSeconds(5))
                .middleware(tracing.clientMiddleware()).build());
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        final Class<? extends Throwable> expected = switch (outcome) {
            case BIZ -> BizStatusException.class;
            case DECLARED -> InvalidArgument.class;
            case FAIL -> RemoteApplicationException.class;
            case TIMEOUT -> RpcTimeoutException.class;
        };
        assertThatThrownBy(() -> {
            switch (outcome) {
                case BIZ -> stub.bizError(10002, "over budget", Map.of("retry-after", "5"));
                case DECLARED -> stub.throwDeclared(1, 400, "bad");
                case FAIL -> stub.fail("boom");
                case TIMEOUT -> stub.sleep(1500);
                default -> throw new AssertionError(outcome);
            }
        }).isInstanceOf(expected);

        final SpanData javaClient = javaSpan(SpanKind.CLIENT);
        // The Go server span of the slow call ends when its handler returns, after the kitex4j client gave up.
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(goSpans) && !Files.readAllLines(goSpans).isEmpty());
        final JsonNode goServer = single(goSpans, "server");
        assertThat(goServer.get("traceId").asText()).isEqualTo(javaClient.getTraceId());
        assertThat(goServer.get("parentSpanId").asText()).isEqualTo(javaClient.getSpanId());
        final Attributes a = javaClient.getAttributes();
        switch (outcome) {
            case BIZ -> {
                assertThat(javaClient.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
                assertThat(a.get(KitexAttributes.BIZ_STATUS_CODE)).isEqualTo(10002L);
                assertThat(a.get(KitexAttributes.BIZ_STATUS_MESSAGE)).isEqualTo("over budget");
                assertThat(javaClient.getEvents()).isEmpty();
                assertGoSpanUnset(goServer);
                assertThat(goServer.path("attributes").fieldNames()).toIterable()
                        .noneMatch(k -> k.contains("biz") || k.contains("status"));
            }
            case DECLARED -> {
                assertThat(javaClient.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
                assertThat(a.get(KitexAttributes.DECLARED_EXCEPTION)).isEqualTo(InvalidArgument.class.getName());
                assertThat(javaClient.getEvents()).isEmpty();
                assertGoSpanUnset(goServer);
            }
            case FAIL -> {
                assertThat(javaClient.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
                assertThat(javaClient.getStatus().getDescription()).contains("biz error: boom");
                assertThat(a.get(KitexAttributes.ERROR_TYPE)).isEqualTo(RemoteApplicationException.class.getName());
                assertThat(javaClient.getEvents()).extracting(EventData::getName).containsExactly("exception");
                assertThat(goServer.path("status").path("code").asText()).isEqualTo("error");
                assertThat(goServer.path("status").path("description").asText()).isEqualTo("biz error: boom");
                final JsonNode exception = goException(goServer);
                assertThat(exception.path("exception.type").asText()).isEqualTo("*remote.TransError");
                assertThat(exception.path("exception.message").asText()).isEqualTo("biz error: boom");
            }
            case TIMEOUT -> {
                assertThat(javaClient.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
                assertThat(a.get(KitexAttributes.ERROR_TYPE)).isEqualTo(RpcTimeoutException.class.getName());
                assertThat(javaClient.getEvents()).extracting(EventData::getName).containsExactly("exception");
                assertThat(javaClient.getEvents().get(0).getAttributes().get(EXCEPTION_TYPE))
                        .isEqualTo(RpcTimeoutException.class.getName());
                // The Go handler returned normally; obs-opentelemetry records no error for it.
                assertGoSpanUnset(goServer);
            }
            default -> throw new AssertionError(outcome);
        }
    }

    /** A kitex4j handler whose failing methods first call {@code callInfo} on a downstream server. */
    private static final class CallsOnwardFirst extends InteropHandler {
        private final String downstream;

        CallsOnwardFirst(String downstream) {
            super("java-1", "java-svc");
            this.downstream = downstream;
        }

        @Override
        public String throwDeclared(int kind, int code, String message) throws InvalidArgument, NotFound {
            callOnward();
            return super.throwDeclared(kind, code, message);
        }

        @Override
        public String bizError(int code, String message, Map<String, String> extra) {
            callOnward();
            return super.bizError(code, message, extra);
        }

        @Override
        public void fail(String message) {
            callOnward();
            super.fail(message);
        }

        private void callOnward() {
            try {
                callInfoVia(downstream);
            } catch (TException e) {
                throw new IllegalStateException("the onward call failed", e);
            }
        }
    }

    private static void assertGoSpanUnset(JsonNode span) {
        assertThat(span.path("status").path("code").asText()).as("%s", span).isEqualTo("unset");
        final List<String> events = new ArrayList<>();
        span.path("events").forEach(e -> events.add(e.path("name").asText()));
        assertThat(events).as("%s", span).doesNotContain("exception");
    }

    private static JsonNode goException(JsonNode span) {
        final List<JsonNode> found = new ArrayList<>();
        span.path("events").forEach(e -> {
            if ("exception".equals(e.path("name").asText())) {
                found.add(e.path("attributes"));
            }
        });
        assertThat(found).as("exception events of %s", span).hasSize(1);
        return found.get(0);
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
        return javaServer(new InteropHandler("java-1", "java-svc"));
    }

    private KitexServer javaServer(InteropHandler base) {
        final InteropHandler handler = later(base.downstreamClient(b -> b.middleware(tracing.clientMiddleware())));
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
