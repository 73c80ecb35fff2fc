package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.opentelemetry.KitexTracing;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code serve --trace-log} and {@code serve --otlp} as real processes: a traced kitex4j client (in this JVM) calls
 * the server over TTHeaderFramed, and the server's span, a child in the client's trace, is printed as one line, or
 * arrives over OTLP/HTTP (protobuf) at a real HTTP server here.
 */
class CliTracingTest {

    private final InMemorySpanExporter clientSpans = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(clientSpans)).build()).build();
    private Process server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.destroyForcibly();
        }
        sdk.close();
    }

    @Test
    void serveWithTraceLogPrintsTheServerSpanOfTheCallersTraceOnOneLine() throws Exception {
        server = CliProcessTest.cli("serve", "--addr", "127.0.0.1:0", "--trace-log");
        final BlockingQueue<String> out = CliProcessTest.lines(server);
        final SpanData client = tracedCall(port(out));

        final String line = out.poll(30, TimeUnit.SECONDS);
        assertThat(line).as("stderr: %s", CliProcessTest.stderr())
                .startsWith("span 'echo.EchoServer/Echo' : " + client.getTraceId() + " ")
                .contains(" SERVER ").contains("rpc.system=kitex").contains("peer.service=cli-test");
        // One line per span: nothing else arrives for the one call.
        assertThat(out.poll(500, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void serveWithOtlpExportsTheServerSpanOverOtlpHttp() throws Exception {
        final CompletableFuture<byte[]> body = new CompletableFuture<>();
        final CompletableFuture<String> contentType = new CompletableFuture<>();
        final HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            contentType.complete(exchange.getRequestHeaders().getFirst("Content-Type"));
            body.complete(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            server = CliProcessTest.cli("serve", "--addr", "127.0.0.1:0",
                    "--otlp", "http://127.0.0.1:" + collector.getAddress().getPort());
            final BlockingQueue<String> out = CliProcessTest.lines(server);
            final SpanData client = tracedCall(port(out));
            server.toHandle().destroy();   // SIGTERM: the stop flushes the batch
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();

            final byte[] received = body.get(30, TimeUnit.SECONDS);
            assertThat(contentType.get()).isEqualTo("application/x-protobuf");
            // ExportTraceServiceRequest: the span's trace_id and parent_span_id are raw bytes in the message.
            assertThat(indexOf(received, HexFormat.of().parseHex(client.getTraceId()))).isNotNegative();
            assertThat(indexOf(received, HexFormat.of().parseHex(client.getSpanId()))).isNotNegative();
            assertThat(indexOf(received, "echo.EchoServer/Echo".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    .isNotNegative();
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void anOtlpValueThatIsNotAnHttpUrlIsAUsageError() {
        assertThat(TracingOptions.tracesUrl("http://collector:4318")).isEqualTo("http://collector:4318/v1/traces");
        assertThat(TracingOptions.tracesUrl("http://collector:4318/")).isEqualTo("http://collector:4318/v1/traces");
        assertThat(TracingOptions.tracesUrl("https://c:443/custom/traces")).isEqualTo("https://c:443/custom/traces");
        assertThatThrownBy(() -> TracingOptions.tracesUrl("collector:4318")).isInstanceOf(UsageException.class)
                .hasMessage("--otlp: 'collector:4318' (expected: http://HOST:PORT[/path] or https://...)");
    }

    private static int port(BlockingQueue<String> out) throws Exception {
        final String first = out.poll(30, TimeUnit.SECONDS);
        assertThat(first).as("stderr: %s", CliProcessTest.stderr()).startsWith("serving EchoServer on 127.0.0.1:");
        return Integer.parseInt(first.replaceAll(".*127\\.0\\.0\\.1:(\\d+).*", "$1"));
    }

    /** One Echo with a CLIENT span of this JVM; returns that span. */
    private SpanData tracedCall(int port) throws Exception {
        final KitexTracing tracing = KitexTracing.builder().openTelemetry(sdk).serviceName("cli-test").build();
        try (KitexClient c = KitexClient.builder().service("kitex4j.echo").fromService("cli-test")
                .addresses("127.0.0.1:" + port).transport(Transport.TTHEADER_FRAMED).rpcTimeout(Duration.ofSeconds(5))
                .middleware(tracing.clientMiddleware()).build()) {
            assertThat(c.stub(EchoServer.Iface.class).Echo(new Request("echo", "traced")).getMsg()).isEqualTo("traced");
        }
        final List<SpanData> spans = clientSpans.getFinishedSpanItems();
        assertThat(spans).hasSize(1);
        assertThat(spans.get(0).getKind()).isEqualTo(SpanKind.CLIENT);
        return spans.get(0);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
