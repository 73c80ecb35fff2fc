package com.example.observability;

import java.time.Duration;

import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.micrometer.KitexMetrics;
import io.kitex4j.opentelemetry.KitexTracing;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;

/**
 * Finds {@value ObservedServerMain#SERVICE} through etcd and calls it with a client span per call, the trace
 * context and baggage in TTHeader's metainfo, and Prometheus meters.
 *
 * <pre>java com.example.observability.ObservedClientMain http://127.0.0.1:2379 hello http://127.0.0.1:4318</pre>
 */
public final class ObservedClientMain {

    /** The caller's name: {@code fromService}, the {@code caller} tag and the server span's {@code peer.service}. */
    public static final String CLIENT = "example.observed-client";

    /** A client of {@value ObservedServerMain#SERVICE} that discovers it with {@code resolver}. */
    public static KitexClient newClient(EtcdResolver resolver, OpenTelemetry otel, MeterRegistry meters) {
        final KitexTracing tracing = KitexTracing.builder()
                .openTelemetry(otel)
                .serviceName(CLIENT)
                .idlPackage("EchoServer", "echo")
                .build();
        return KitexClient.builder()
                .service(ObservedServerMain.SERVICE)
                .fromService(CLIENT)
                .resolver(resolver)
                // Trace context travels in TTHeader metainfo: TTHEADER_FRAMED is Go's transport.TTHeaderFramed.
                // Over FRAMED or BUFFERED the server would start a new trace, as a Go Kitex server does.
                .transport(Transport.TTHEADER_FRAMED)
                .rpcTimeout(Duration.ofSeconds(1))
                .middleware(tracing.clientMiddleware())   // first = one span over all attempts
                .middleware(KitexMetrics.builder().meterRegistry(meters).build().clientMiddleware())
                .build();
    }

    public static void main(String[] args) throws Exception {
        final String etcd = args.length > 0 ? args[0] : "http://127.0.0.1:2379";
        final String message = args.length > 1 ? args[1] : "hello";
        final String otlp = args.length > 2 ? args[2] : "http://127.0.0.1:4318";
        final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (OpenTelemetrySdk otel = Telemetry.otlp(CLIENT, otlp);   // close() flushes the batched spans
             EtcdResolver resolver = EtcdResolver.builder().etcd(EtcdClientConfig.of(etcd)).build();
             KitexClient client = newClient(resolver, otel, meters);
             Scope baggage = Baggage.builder().put(ObservedEchoService.TENANT, "acme").build().makeCurrent()) {
            System.out.println(client.stub(EchoServer.Iface.class).Echo(new Request("echo", message)).getMsg());
            System.out.print(meters.scrape());
        }
    }

    private ObservedClientMain() {}
}
