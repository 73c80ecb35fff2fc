package io.kitex4j.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.health.HealthStatus;
import io.kitex4j.core.health.MeshHealth;
import io.kitex4j.core.health.MeshHealthReport;
import io.kitex4j.micrometer.DiscoveryMetrics;
import io.kitex4j.micrometer.KitexMetrics;
import io.kitex4j.registry.EtcdRegistry;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP endpoint of {@code serve --metrics ADDR}, on the JDK's {@code com.sun.net.httpserver}:
 * <ul>
 *   <li>{@code GET /metrics} answers the Prometheus text format (version 0.0.4) of a {@link PrometheusMeterRegistry}
 *       holding kitex4j's server meters ({@link KitexMetrics}), the registry meters ({@link DiscoveryMetrics}) when
 *       the server registers in etcd, and a few JVM ones;
 *   <li>{@code GET /health} answers the {@link MeshHealth} report as JSON, {@code {"status":"UP", "checkedAt":...,
 *       "registrations":{...}, "views":{...}}}, with status 200 for {@code UP} and {@code DEGRADED} (the process
 *       still serves; etcd is only unreachable) and 503 for {@code DOWN}, as Spring Boot's health endpoint does.
 * </ul>
 * Everything else answers 404.
 */
final class MetricsEndpoint implements AutoCloseable {

    /** The path of the Prometheus scrape. */
    static final String METRICS_PATH = "/metrics";

    /** The path of the health report. */
    static final String HEALTH_PATH = "/health";

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final ExecutorService executor;
    final HttpServer http;
    /** Until {@link #registry(EtcdRegistry)}: nothing to look at, so {@code UP}. */
    private volatile MeshHealth health = MeshHealth.builder().build();
    private DiscoveryMetrics discoveryMetrics;

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
        http.createContext(HEALTH_PATH, this::health);
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

    /**
     * Adds {@code etcd}'s registrations to the report of {@code /health} and its meters to {@code /metrics}; called
     * once the server's registry is built, before it starts.
     */
    synchronized void registry(EtcdRegistry etcd) {
        discoveryMetrics = DiscoveryMetrics.builder().registry(etcd).build();
        discoveryMetrics.bindTo(registry);
        health = MeshHealth.builder().registry(etcd).build();
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
        if (acceptsRead(exchange, METRICS_PATH)) {
            respond(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
        }
    }

    private void health(HttpExchange exchange) throws IOException {
        if (!acceptsRead(exchange, HEALTH_PATH)) {
            return;
        }
        final MeshHealthReport report = health.check();
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", report.status().name());
        body.putAll(report.details());
        final String json;
        try {
            json = JSON.writeValueAsString(body) + "\n";
        } catch (JsonProcessingException e) {
            respond(exchange, 500, "text/plain; charset=utf-8", "cannot encode the health report\n");
            return;
        }
        respond(exchange, report.status() == HealthStatus.DOWN ? 503 : 200, "application/json", json);
    }

    /** Whether the request is a GET or HEAD of exactly {@code path}; answers 404 or 405 if not. */
    private static boolean acceptsRead(HttpExchange exchange, String path) throws IOException {
        if (!path.equals(exchange.getRequestURI().getPath())) {
            respond(exchange, 404, "text/plain; charset=utf-8", "not found\n");
            return false;
        }
        final String method = exchange.getRequestMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return false;
        }
        return true;
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
    public synchronized void close() {
        http.stop(0);
        if (discoveryMetrics != null) {
            discoveryMetrics.close();
        }
        executor.shutdownNow();
        registry.close();
    }
}
