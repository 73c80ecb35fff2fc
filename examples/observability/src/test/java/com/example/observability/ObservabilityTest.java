package com.example.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.sun.net.httpserver.HttpServer;

import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.health.HealthStatus;
import io.kitex4j.core.health.MeshHealth;
import io.kitex4j.core.health.MeshHealthReport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.micrometer.DiscoveryMetrics;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

/**
 * The server and client of this example against a real etcd, each with its own SDK (spans kept in memory instead of
 * sent over OTLP) and Prometheus registry, as two processes would have.
 */
class ObservabilityTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final int CALLS = 3;

    @Test
    void oneTracePerCallAcrossClientAndServerWithMetersAndHealth() throws Exception {
        final InMemorySpanExporter serverSpans = InMemorySpanExporter.create();
        final InMemorySpanExporter clientSpans = InMemorySpanExporter.create();
        final PrometheusMeterRegistry serverMeters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final PrometheusMeterRegistry clientMeters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final EtcdClientConfig etcd = EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build();
        final HttpClient http = HttpClient.newHttpClient();

        try (OpenTelemetrySdk serverOtel = Telemetry.sdk(ObservedServerMain.SERVICE,
                                                         SimpleSpanProcessor.create(serverSpans));
             OpenTelemetrySdk clientOtel = Telemetry.sdk(ObservedClientMain.CLIENT,
                                                         SimpleSpanProcessor.create(clientSpans));
             EtcdRegistry registry = EtcdRegistry.builder().etcd(etcd).build();
             DiscoveryMetrics discovery = DiscoveryMetrics.builder().registry(registry).build();
             EtcdResolver resolver = EtcdResolver.builder().etcd(etcd).build();
             KitexServer server = ObservedServerMain.start(registry, "127.0.0.1", 0, serverOtel, serverMeters);
             KitexClient client = ObservedClientMain.newClient(resolver, clientOtel, clientMeters)) {
            discovery.bindTo(serverMeters);
            final MeshHealth health = MeshHealth.builder().registry(registry).build();
            final HttpServer endpoint = ObservedServerMain.startHttp(new InetSocketAddress("127.0.0.1", 0),
                                                                     serverMeters, health);
            try {
                final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
                try (Scope s = Baggage.builder().put(ObservedEchoService.TENANT, "acme").build().makeCurrent()) {
                    for (int i = 0; i < CALLS; i++) {
                        // The handler read the baggage entry from Baggage.current().
                        assertThat(echo.Echo(new Request("echo", "hello " + i)).getMsg())
                                .isEqualTo("hello " + i + " (tenant acme)");
                    }
                }

                // Spans are exported before the call returns: no waiting.
                final List<SpanData> clients = clientSpans.getFinishedSpanItems();
                final List<SpanData> servers = serverSpans.getFinishedSpanItems();
                assertThat(clients).hasSize(CALLS);
                assertThat(servers).hasSize(CALLS);
                assertThat(clients).extracting(SpanData::getTraceId).doesNotHaveDuplicates();
                for (SpanData c : clients) {
                    assertThat(c.getKind()).isEqualTo(SpanKind.CLIENT);
                    assertThat(c.getName()).isEqualTo("echo.EchoServer/Echo");
                    assertThat(c.getParentSpanContext().isValid()).isFalse();   // a root: no span was current
                    assertThat(c.getAttributes().get(AttributeKey.stringKey("rpc.system"))).isEqualTo("kitex");
                    assertThat(c.getAttributes().get(AttributeKey.stringKey("rpc.service")))
                            .isEqualTo(ObservedServerMain.SERVICE);
                    assertThat(c.getAttributes().get(AttributeKey.stringKey("request.protocol")))
                            .isEqualTo("TTHeader|Framed");

                    final List<SpanData> ofTrace = servers.stream()
                            .filter(sp -> sp.getTraceId().equals(c.getTraceId())).toList();
                    assertThat(ofTrace).hasSize(1);
                    final SpanData sv = ofTrace.get(0);
                    assertThat(sv.getKind()).isEqualTo(SpanKind.SERVER);
                    assertThat(sv.getName()).isEqualTo("echo.EchoServer/Echo");
                    assertThat(sv.getParentSpanId()).isEqualTo(c.getSpanId());
                    assertThat(sv.getParentSpanContext().isRemote()).isTrue();
                    assertThat(sv.getAttributes().get(AttributeKey.stringKey("rpc.system"))).isEqualTo("kitex");
                    assertThat(sv.getAttributes().get(AttributeKey.stringKey("peer.service")))
                            .isEqualTo(ObservedClientMain.CLIENT);
                }

                final String tags = "callee=\"" + ObservedServerMain.SERVICE + "\",caller=\"" + ObservedClientMain.CLIENT
                                    + "\",method=\"Echo\",result=\"success\",transport=\"ttheader_framed\"";
                final HttpResponse<String> metrics = get(http, endpoint, "/metrics");
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("kitex_server_requests_total{" + tags + "} " + CALLS + ".0\n")
                        .contains("kitex_registry_registration_state{address=\"127.0.0.1:" + server.port()
                                  + "\",service=\"" + ObservedServerMain.SERVICE + "\",state=\"REGISTERED\"} 1.0\n");
                assertThat(clientMeters.scrape()).contains("kitex_client_requests_total{" + tags + "} " + CALLS + ".0\n");

                final MeshHealthReport report = health.check();
                assertThat(report.status()).isEqualTo(HealthStatus.UP);
                assertThat(report.registrations()).singleElement()
                        .satisfies(r -> assertThat(r.state()).isEqualTo(RegistrationState.REGISTERED));
                final String key = report.registrations().get(0).key();
                final HttpResponse<String> healthResponse = get(http, endpoint, "/health");
                assertThat(healthResponse.statusCode()).isEqualTo(200);
                assertThat(healthResponse.body()).isEqualTo("UP\nregistration " + key + " REGISTERED UP\n");
            } finally {
                endpoint.stop(0);
            }
        }
    }

    private static HttpResponse<String> get(HttpClient http, HttpServer endpoint, String path) throws Exception {
        final URI uri = URI.create("http://127.0.0.1:" + endpoint.getAddress().getPort() + path);
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }
}
