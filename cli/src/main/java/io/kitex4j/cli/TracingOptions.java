package io.kitex4j.cli;

import io.kitex4j.opentelemetry.KitexAttributes;
import io.kitex4j.opentelemetry.KitexTracing;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.logging.LoggingSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import picocli.CommandLine.Option;

/**
 * {@code --otlp URL} and {@code --trace-log}: OpenTelemetry tracing of the CLI's server or client with kitex4j's
 * {@link KitexTracing} (obs-opentelemetry-compatible spans and propagation), the SDK built here. Off unless one of
 * them is given.
 */
final class TracingOptions {

    /** OTLP/HTTP's trace path, added to a {@code --otlp} URL without a path (as OTEL_EXPORTER_OTLP_ENDPOINT). */
    static final String TRACES_PATH = "/v1/traces";

    // JUL keeps its loggers weakly: hold the logging exporter's so its handler stays.
    private static final Logger SPAN_LOG = Logger.getLogger(LoggingSpanExporter.class.getName());

    @Option(names = "--otlp", paramLabel = "URL",
            description = "Trace: export spans over OTLP/HTTP (protobuf) to URL, e.g. http://127.0.0.1:4318 (" + TRACES_PATH
                          + " is added when URL has no path).")
    String otlp;

    @Option(names = "--trace-log", description = "Trace: print each finished span on stdout, one line per span.")
    boolean traceLog;

    /** Whether tracing is on. */
    boolean enabled() {
        return otlp != null || traceLog;
    }

    /**
     * The tracing of this process, named {@code serviceName} (resource {@code service.name}, and what kitex4j sends as
     * the caller's name), or {@code null} when neither option is given.
     */
    Tracing start(String serviceName) {
        if (!enabled()) {
            return null;
        }
        final SdkTracerProviderBuilder provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(KitexAttributes.SERVICE_NAME, serviceName))));
        if (otlp != null) {
            provider.addSpanProcessor(BatchSpanProcessor.builder(
                    OtlpHttpSpanExporter.builder().setEndpoint(tracesUrl(otlp)).build()).build());
        }
        if (traceLog) {
            oneLinePerSpan(System.out);
            provider.addSpanProcessor(SimpleSpanProcessor.create(LoggingSpanExporter.create()));
        }
        final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider.build()).build();
        final KitexTracing tracing = KitexTracing.builder().openTelemetry(sdk).serviceName(serviceName)
                .idlPackage("EchoServer", "echo").build();
        return new Tracing(sdk, tracing);
    }

    /** {@code url} with {@link #TRACES_PATH} when it has no path; a usage error when it is not an http(s) URL. */
    static String tracesUrl(String url) {
        final URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UsageException("--otlp: '" + url + "' is not a URL (expected: http://HOST:PORT[/path])");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new UsageException("--otlp: '" + url + "' (expected: http://HOST:PORT[/path] or https://...)");
        }
        final String path = uri.getRawPath();
        return path == null || path.isEmpty() || "/".equals(path)
                ? url.replaceAll("/+$", "") + TRACES_PATH : url;
    }

    /** The logging exporter's lines (one JUL record per span) go to {@code out} as they are, one line each. */
    private static void oneLinePerSpan(PrintStream out) {
        SPAN_LOG.setUseParentHandlers(false);
        SPAN_LOG.setLevel(Level.INFO);
        SPAN_LOG.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (isLoggable(record)) {
                    out.println("span " + record.getMessage());
                }
            }

            @Override
            public void flush() {
                out.flush();
            }

            @Override
            public void close() {
                flush();
            }
        });
    }

    /** The SDK and the kitex4j tracing built on it; closing flushes and shuts the SDK down. */
    record Tracing(OpenTelemetrySdk sdk, KitexTracing tracing) implements AutoCloseable {
        @Override
        public void close() {
            sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
