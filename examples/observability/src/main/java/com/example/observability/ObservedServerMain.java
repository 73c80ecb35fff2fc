package com.example.observability;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.kitex4j.core.health.HealthStatus;
import io.kitex4j.core.health.MeshHealth;
import io.kitex4j.core.health.MeshHealthReport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.micrometer.DiscoveryMetrics;
import io.kitex4j.micrometer.KitexMetrics;
import io.kitex4j.opentelemetry.KitexTracing;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * Serves {@link ObservedEchoService} under {@value #SERVICE}, registered in etcd, with spans that join Go Kitex's
 * obs-opentelemetry traces, Prometheus meters and a health report on {@code http://127.0.0.1:9464/{metrics,health}}.
 *
 * <pre>java com.example.observability.ObservedServerMain http://127.0.0.1:2379 127.0.0.1 8888 http://127.0.0.1:4318</pre>
 */
public final class ObservedServerMain {

    /** The name the server registers under and clients (Java or Go) look up. */
    public static final String SERVICE = "example.observed-echo";

    /**
     * Starts the server on {@code host:port} (port 0 for a free one) with tracing and metrics, registers it in
     * etcd and returns once registered.
     */
    public static KitexServer start(EtcdRegistry registry, String host, int port, OpenTelemetry otel,
                                    PrometheusMeterRegistry meters) {
        final KitexTracing tracing = KitexTracing.builder()
                .openTelemetry(otel)
                .serviceName(SERVICE)                  // as obs-opentelemetry's provider.WithServiceName
                .idlPackage("EchoServer", "echo")      // echo.thrift's namespace go: spans named echo.EchoServer/Echo
                .build();
        final KitexMetrics metrics = KitexMetrics.builder().meterRegistry(meters).build();
        return KitexServer.builder()
                .address(host, port)
                .service(EchoServer.class, new ObservedEchoService())
                .registry(registry, SERVICE)
                .middleware(tracing.serverMiddleware())   // first = outermost: the span covers the metrics too
                .middleware(metrics.serverMiddleware())
                .build()
                .startBlocking();
    }

    /**
     * Serves {@code GET /metrics} (the Prometheus text of {@code meters}) and {@code GET /health} ({@code health}'s
     * status on the first line, then one line per registration and watched service; 503 when {@code DOWN}) on
     * {@code address}.
     */
    public static HttpServer startHttp(InetSocketAddress address, PrometheusMeterRegistry meters, MeshHealth health)
            throws IOException {
        final HttpServer http = HttpServer.create(address, 0);
        http.createContext("/metrics", exchange -> respond(exchange, 200, meters.scrape()));
        http.createContext("/health", exchange -> {
            final MeshHealthReport report = health.check();
            final StringBuilder body = new StringBuilder(report.status().name()).append('\n');
            report.registrations().forEach(r -> body.append("registration ").append(r.key()).append(' ')
                                                    .append(r.state()).append(' ').append(r.status()).append('\n'));
            report.views().forEach(v -> body.append("view ").append(v.service()).append(' ')
                                            .append(v.state()).append(' ').append(v.status()).append('\n'));
            respond(exchange, report.status() == HealthStatus.DOWN ? 503 : 200, body.toString());
        });
        http.start();
        return http;
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        try (exchange; OutputStream out = exchange.getResponseBody()) {
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(status, bytes.length);
            out.write(bytes);
        }
    }

    public static void main(String[] args) throws Exception {
        final String etcd = args.length > 0 ? args[0] : "http://127.0.0.1:2379";
        final String host = args.length > 1 ? args[1] : "127.0.0.1";
        final int port = args.length > 2 ? Integer.parseInt(args[2]) : 8888;
        final String otlp = args.length > 3 ? args[3] : "http://127.0.0.1:4318";

        final OpenTelemetry otel = Telemetry.otlp(SERVICE, otlp);
        final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Not closed: the server's shutdown hook deregisters it on SIGTERM or Ctrl-C and drains the calls in flight.
        final EtcdRegistry registry = EtcdRegistry.builder().etcd(EtcdClientConfig.of(etcd)).build();
        DiscoveryMetrics.builder().registry(registry).build().bindTo(meters);   // kitex.registry.* meters
        final MeshHealth health = MeshHealth.builder().registry(registry).build();

        final KitexServer server = start(registry, host, port, otel, meters);
        final HttpServer http = startHttp(new InetSocketAddress("127.0.0.1", 9464), meters, health);
        System.out.println("serving " + SERVICE + " at " + server.localAddress() + ", registered in " + etcd
                           + "; http://127.0.0.1:" + http.getAddress().getPort() + "/metrics and /health");
        new CountDownLatch(1).await();
    }

    private ObservedServerMain() {}
}
