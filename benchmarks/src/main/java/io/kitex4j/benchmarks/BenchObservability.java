package io.kitex4j.benchmarks;

import io.kitex4j.micrometer.KitexMetrics;
import io.kitex4j.opentelemetry.KitexTracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;

/**
 * The tracing and metrics set-up of the observability benchmarks (LoadRunner's {@code -tracing} and
 * {@code -metrics}, MiddlewareBenchmark's tracing and metrics cases): what a production service would run, minus
 * the export. Tracing: the OpenTelemetry SDK with {@code Sampler.alwaysOn()} and a {@code BatchSpanProcessor} (its
 * defaults) in front of an exporter that drops every batch; no meter provider, so KitexTracing's duration
 * histograms go to the no-op meter. Metrics: {@link KitexMetrics} on a {@link SimpleMeterRegistry}.
 */
public final class BenchObservability {

    private BenchObservability() {
    }

    /** KitexTracing for {@code serviceName} on an always-sampling SDK whose spans are batched and dropped. */
    public static KitexTracing tracing(String serviceName) {
        final SpanExporter dropAll = new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
        final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setSampler(Sampler.alwaysOn())
                        .addSpanProcessor(BatchSpanProcessor.builder(dropAll).build())
                        .build())
                .build();
        return KitexTracing.builder().openTelemetry(sdk).serviceName(serviceName)
                .idlPackage("EchoServer", "echo").build();
    }

    /** KitexMetrics (default prefix, no percentile histograms) on a new {@link SimpleMeterRegistry}. */
    public static KitexMetrics metrics() {
        return KitexMetrics.builder().meterRegistry(new SimpleMeterRegistry()).build();
    }
}
