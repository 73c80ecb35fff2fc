package io.kitex4j.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.micrometer.KitexMetrics;
import io.kitex4j.thriftrpc.server.KitexServerBuilder;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP endpoint of {@code serve --metrics ADDR}: {@code GET /metrics} answers the Prometheus text format
 * (version 0.0.4) of a {@link PrometheusMeterRegistry} holding kitex4j's server meters ({@link KitexMetrics}) and a
 * few JVM ones, on the JDK's {@code com.sun.net.httpserver}. Other paths can be served by adding a context to
 * {@link #http} (e.g. a health check); everything else answers 404.
 */
final class MetricsEndpoint implements AutoCloseable {

    /** The path of the Prometheus scrape. */
    static final String METRICS_PATH = "/metrics";

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final ExecutorService executor;
    final HttpServer http;

    private MetricsEndpoint(HostAndPort listen) throws IOException {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        http = HttpServer.create(new InetSocketAddress(listen.host().isEmpty() ? "0.0.0.0" : listen.host(),
                listen.port()), 0);
        executor = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "kitex4j-metrics-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext(METRICS_PATH, this::scrape);
        http.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8", "not found\n"));
        http.start();
    }

    /**
     * For {@code serve}: with {@code --metrics ADDR} ({@code address} not null), starts the endpoint, adds the
     * metrics server middleware to {@code server}, prints {@code metrics: http://HOST:PORT/metrics} and stops the
     * endpoint when the JVM exits. Returns the endpoint, or {@code null} without {@code --metrics}.
     *
     * @throws UsageException if the address is malformed or cannot be bound
     */
    static MetricsEndpoint attach(String address, KitexServerBuilder server) {
        if (address == null) {
            return null;
        }
        final HostAndPort listen;
        try {
            listen = HostAndPort.parse(address);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--metrics: " + e.getMessage());
        }
        final MetricsEndpoint endpoint;
        try {
            endpoint = new MetricsEndpoint(listen);
        } catch (IOException | RuntimeException e) {
            throw new UsageException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
        }
        server.middleware(KitexMetrics.builder().meterRegistry(endpoint.registry).build().serverMiddleware());
        Runtime.getRuntime().addShutdownHook(new Thread(endpoint::close, "kitex4j-metrics-stop"));
        System.out.println("metrics: " + endpoint.url());
        return endpoint;
    }

    /** The registry the endpoint publishes. */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The scrape URL, with the bound address ({@code http://127.0.0.1:PORT/metrics}). */
    String url() {
        final InetSocketAddress bound = http.getAddress();
        return "http://" + new HostAndPort(bound.getAddress().getHostAddress(), bound.getPort()) + METRICS_PATH;
    }

    private void scrape(HttpExchange exchange) throws IOException {
        if (!METRICS_PATH.equals(exchange.getRequestURI().getPath())) {
            respond(exchange, 404, "text/plain; charset=utf-8", "not found\n");
            return;
        }
        final String method = exchange.getRequestMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return;
        }
        respond(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        try (exchange) {
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            final boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** Stops serving at once. */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        registry.close();
    }
}
