package io.kitex4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * A real OpenTelemetry SDK whose spans and metrics stay in memory, and the real kitex4j servers and clients of a
 * test, all closed by {@link #close()}. Spans are exported synchronously when they end, and kitex4j's tracing ends
 * a span before the call's future (or the server's reply) completes, so a span is in {@link #spans()} as soon as
 * the call that made it returned: no waiting.
 */
final class Telemetry implements AutoCloseable {

    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final InMemoryMetricReader metricReader = InMemoryMetricReader.create();
    final OpenTelemetrySdk sdk;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    Telemetry() {
        this(Sampler.alwaysOn());
    }

    Telemetry(Sampler sampler) {
        sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setSampler(sampler)
                                                    .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metricReader).build())
                .build();
    }

    KitexTracing tracing(String serviceName) {
        return KitexTracing.builder().openTelemetry(sdk).serviceName(serviceName)
                           .idlPackage("InteropService", "interop").idlPackage("EchoServer", "echo").build();
    }

    List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    SpanData span(SpanKind kind, String serviceName) {
        final List<SpanData> found = spans().stream()
                .filter(s -> s.getKind() == kind && serviceName.equals(
                        s.getAttributes().get(KitexAttributes.RPC_SERVICE)))
                .toList();
        assertThat(found).as("%s spans of %s in %s", kind, serviceName, spans()).hasSize(1);
        return found.get(0);
    }

    Optional<MetricData> metric(String name) {
        return metricReader.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst();
    }

    KitexServer server(Class<?> service, Object handler, String serviceName, Middleware... middlewares) {
        final KitexServer s = KitexServer.builder().address("127.0.0.1", 0).service(service, handler)
                                         .serviceName(serviceName).middleware(middlewares).shutdownHook(false)
                                         .drainTimeout(Duration.ofSeconds(1)).build();
        s.start().join();
        closeables.add(s);
        if (handler instanceof AutoCloseable c) {
            closeables.add(c);
        }
        return s;
    }

    KitexClient client(String service, String fromService, KitexServer server, Transport transport,
                       Middleware... middlewares) {
        final KitexClient c = KitexClient.builder().service(service).fromService(fromService)
                                         .addresses(address(server)).transport(transport)
                                         .rpcTimeout(Duration.ofSeconds(5)).middleware(middlewares).build();
        closeables.add(c);
        return c;
    }

    static String address(KitexServer server) {
        return "127.0.0.1:" + server.localAddress().getPort();
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        sdk.close();
    }
}
