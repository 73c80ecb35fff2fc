package com.example.observability;

import java.net.URI;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;

/** The OpenTelemetry SDK of a process: spans batched to an OTLP/HTTP collector (Jaeger, Tempo, an OTel Collector). */
public final class Telemetry {

    /**
     * An SDK exporting to the OTLP/HTTP endpoint {@code endpoint}, e.g. {@code http://127.0.0.1:4318} (the same
     * collector the Go services export to with obs-opentelemetry's {@code provider.WithExportEndpoint}, which
     * speaks OTLP/gRPC on 4317).
     */
    public static OpenTelemetrySdk otlp(String serviceName, String endpoint) {
        final OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(URI.create(endpoint).resolve("/v1/traces").toString())
                .build();
        return sdk(serviceName, BatchSpanProcessor.builder(exporter).build());
    }

    /** An SDK whose spans carry the resource {@code service.name = serviceName} and go to {@code processor}. */
    public static OpenTelemetrySdk sdk(String serviceName, SpanProcessor processor) {
        final Resource resource = Resource.getDefault()
                .merge(Resource.create(Attributes.builder().put("service.name", serviceName).build()));
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setResource(resource).addSpanProcessor(processor).build())
                .build();
    }

    private Telemetry() {}
}
