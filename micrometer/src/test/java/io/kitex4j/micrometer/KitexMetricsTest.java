package io.kitex4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.thriftrpc.client.CallOptions;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.client.KitexClientBuilder;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The meters after a known sequence of calls between a real kitex4j client and server over loopback sockets: every
 * counter, timer, gauge and summary asserted by value.
 */
@ExtendWith(NettyLeakDetection.class)
class KitexMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final KitexMetrics metrics = KitexMetrics.builder().meterRegistry(registry).build();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private InteropHandler handler;
    private KitexServer server;
    private KitexClient client;

    @BeforeEach
    void start() {
        handler = new InteropHandler("backend");
        server = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, handler)
                            .serviceName("backend").middleware(metrics.serverMiddleware()).shutdownHook(false)
                            .drainTimeout(Duration.ofSeconds(1)).build();
        server.start().join();
        closeables.add(server);
        closeables.add(handler);
        client = client(b -> b, metrics.clientMiddleware());
    }

    /** A client of the server, as service backend from frontend over TTHeader|Framed, then {@code custom}. */
    private KitexClient client(UnaryOperator<KitexClientBuilder> custom, Middleware... middlewares) {
        final KitexClientBuilder b = KitexClient.builder().service("backend").fromService("frontend")
                .addresses("127.0.0.1:" + server.localAddress().getPort()).transport(Transport.TTHEADER_FRAMED)
                .rpcTimeout(Duration.ofSeconds(5)).middleware(middlewares);
        final KitexClient c = custom.apply(b).build();
        closeables.add(0, c);
        return c;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        registry.close();
    }

    @Test
    void aKnownSequenceOfCallsGivesExactCountsOnBothSides() throws Exception {
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        final int n = 5;
        for (int i = 0; i < n; i++) {
            assertThat(stub.echoString("v" + i)).isEqualTo("v" + i);
        }
        // Biz errors: two business statuses, one IDL-declared exception.
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> stub.bizError(4001, "no stock", Map.of())).isInstanceOf(BizStatusException.class);
        }
        assertThatThrownBy(() -> stub.throwDeclared(1, 400, "bad")).isInstanceOf(InvalidArgument.class);
        // A handler failure.
        assertThatThrownBy(() -> stub.fail("boom")).isInstanceOf(RemoteApplicationException.class);
        // Timeouts: the handler sleeps past the call's RPC timeout (and then completes, on the server).
        final InteropService.Iface impatient = client.stub(InteropService.Iface.class,
                CallOptions.builder().rpcTimeout(Duration.ofMillis(100)).build());
        final int k = 2;
        for (int i = 0; i < k; i++) {
            assertThatThrownBy(() -> impatient.sleep(400)).isInstanceOf(RpcTimeoutException.class);
        }

        // Client side: everything is known when the calls returned.
        assertThat(requests("client", "echoString")).containsExactlyEntriesOf(results(n, 0, 0, 0));
        assertThat(requests("client", "bizError")).containsExactlyEntriesOf(results(0, 2, 0, 0));
        assertThat(requests("client", "throwDeclared")).containsExactlyEntriesOf(results(0, 1, 0, 0));
        assertThat(requests("client", "fail")).containsExactlyEntriesOf(results(0, 0, 0, 1));
        assertThat(requests("client", "sleep")).containsExactlyEntriesOf(results(0, 0, k, 0));
        final Timer echoTimer = timer("client", "echoString");
        assertThat(echoTimer.count()).isEqualTo(n);
        assertThat(echoTimer.totalTime(TimeUnit.NANOSECONDS)).isPositive();
        final Timer sleepTimer = timer("client", "sleep");
        assertThat(sleepTimer.count()).isEqualTo(k);
        // A timed-out call lasts at least its timeout.
        assertThat(sleepTimer.max(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(100);
        for (String method : List.of("echoString", "bizError", "throwDeclared", "fail", "sleep")) {
            assertThat(active("client", method)).as(method).isZero();
            final DistributionSummary attempts = registry.get("kitex.client.attempts").tag("method", method)
                                                         .summary();
            assertThat(attempts.totalAmount()).as(method).isEqualTo(attempts.count());
            assertThat(attempts.max()).as(method).isEqualTo(1);
        }
        assertThat(registry.get("kitex.client.attempts").tag("method", "echoString").summary().count()).isEqualTo(n);

        // Server side: the replies were sent after the meters were recorded, except for the timed-out calls,
        // whose handlers finish later.
        await().atMost(Duration.ofSeconds(10)).until(() -> requests("server", "sleep").get("success") == k);
        assertThat(requests("server", "echoString")).containsExactlyEntriesOf(results(n, 0, 0, 0));
        assertThat(requests("server", "bizError")).containsExactlyEntriesOf(results(0, 2, 0, 0));
        assertThat(requests("server", "throwDeclared")).containsExactlyEntriesOf(results(0, 1, 0, 0));
        assertThat(requests("server", "fail")).containsExactlyEntriesOf(results(0, 0, 0, 1));
        assertThat(requests("server", "sleep")).containsExactlyEntriesOf(results(k, 0, 0, 0));
        assertThat(timer("server", "echoString").count()).isEqualTo(n);
        assertThat(timer("server", "sleep").count()).isEqualTo(k);
        assertThat(timer("server", "sleep").max(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(400);
        for (String method : List.of("echoString", "bizError", "throwDeclared", "fail", "sleep")) {
            assertThat(active("server", method)).as(method).isZero();
        }
        assertThat(registry.find("kitex.server.attempts").meters()).isEmpty();

        // Tags: the server knows its caller from the TTHeader.
        final Meter.Id serverId = registry.get("kitex.server.requests").tag("method", "echoString")
                                          .tag("result", "success").counter().getId();
        assertThat(serverId.getTags()).extracting(t -> t.getKey() + "=" + t.getValue()).containsExactlyInAnyOrder(
                "caller=frontend", "callee=backend", "method=echoString", "transport=ttheader_framed", "result=success");
    }

    @Test
    void aTransportFailureIsAFailureAndARetryingMiddlewareInsideMakesMoreAttempts() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // Retries once, inside the metrics middleware: each invocation of next is an attempt.
        final Middleware retryOnce = next -> (ctx, req) -> next.invoke(ctx, req)
                .handle((v, e) -> e == null ? CompletableFuture.completedFuture(v) : next.invoke(ctx, req))
                .thenCompose(f -> f);
        final KitexClient gone = client(b -> b.service("gone").addresses("127.0.0.1:" + port)
                                              .avoidRefusedInstances(false), metrics.clientMiddleware(), retryOnce);
        assertThatThrownBy(() -> gone.stub(InteropService.Iface.class).ping()).isInstanceOf(ConnectFailedException.class);

        assertThat(registry.get("kitex.client.requests").tag("callee", "gone").tag("method", "ping")
                           .tag("result", "failure").counter().count()).isEqualTo(1);
        final DistributionSummary attempts = registry.get("kitex.client.attempts").tag("callee", "gone").summary();
        assertThat(attempts.count()).isEqualTo(1);
        assertThat(attempts.totalAmount()).isEqualTo(2);
        assertThat(attempts.max()).isEqualTo(2);
        assertThat(registry.get("kitex.client.active.requests").tag("callee", "gone").gauge().value()).isZero();
    }

    @Test
    void theActiveGaugesCountCallsInFlightAndThePoolMetersFollowThePool() throws Exception {
        metrics.bindConnectionPool(client);
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        for (int i = 0; i < 3; i++) {
            stub.echoString("seq");
        }
        // One connection, made once and reused.
        assertThat(pool("open")).isEqualTo(1);
        assertThat(pool("idle")).isEqualTo(1);
        final FunctionTimer acquisition = registry.get("kitex.client.connections.acquisition").functionTimer();
        assertThat(acquisition.count()).isEqualTo(3);
        assertThat(acquisition.totalTime(TimeUnit.NANOSECONDS)).isPositive();

        // Three calls in flight at once: three connections, none idle, three active calls on each side.
        handler.sleepStarted = new CountDownLatch(3);
        final List<CompletableFuture<Void>> sleeps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sleeps.add(client.async(InteropService.Iface.class).run(s -> s.sleep(1000)));
        }
        assertThat(handler.sleepStarted.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(active("client", "sleep")).isEqualTo(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> active("server", "sleep") == 3);
        assertThat(pool("open")).isEqualTo(3);
        assertThat(pool("idle")).isZero();
        for (CompletableFuture<Void> s : sleeps) {
            s.get(10, TimeUnit.SECONDS);
        }
        assertThat(active("client", "sleep")).isZero();
        assertThat(active("server", "sleep")).isZero();
        assertThat(pool("open")).isEqualTo(3);
        await().atMost(Duration.ofSeconds(5)).until(() -> pool("idle") == 3);
        assertThat(acquisition.count()).isEqualTo(6);
        assertThat(requests("client", "sleep")).containsExactlyEntriesOf(results(3, 0, 0, 0));

        assertThat(registry.get("kitex.client.connections.open").gauge().getId().getTags())
                .extracting(t -> t.getKey() + "=" + t.getValue()).containsExactlyInAnyOrder("caller=frontend",
                                                                                            "callee=backend");
    }

    @Test
    void aMultiplexedPoolHasItsFixedConnectionsAndNoIdleOnes() throws Exception {
        final KitexClient mux = client(b -> b.multiplexed(2).fromService("mux"), metrics.clientMiddleware());
        metrics.bindConnectionPool(mux);
        final InteropService.Iface stub = mux.stub(InteropService.Iface.class);
        for (int i = 0; i < 4; i++) {
            stub.echoString("m");
        }
        assertThat(registry.get("kitex.client.connections.open").tag("caller", "mux").gauge().value()).isEqualTo(2);
        assertThat(registry.get("kitex.client.connections.idle").tag("caller", "mux").gauge().value()).isZero();
        assertThat(registry.get("kitex.client.connections.acquisition").tag("caller", "mux").functionTimer().count())
                .isEqualTo(4);
        assertThat(registry.get("kitex.client.requests").tag("caller", "mux").tag("result", "success").counter()
                           .count()).isEqualTo(4);
    }

    @Test
    void methodTagValuesAreCappedPerCalleeAndTheRestAreTaggedOther() throws Exception {
        final int extra = 10;
        for (int i = 0; i < KitexMetrics.MAX_TAG_VALUES + extra; i++) {
            // Unknown methods: the server answers each with an application error.
            final CompletableFuture<InteropService.ping_result> f = client.call(
                    "InteropService", "m" + i, new InteropService.ping_args(), InteropService.ping_result::new,
                    CallOptions.DEFAULT);
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(RemoteApplicationException.class);
        }
        final List<String> methods = registry.find("kitex.client.requests").tag("result", "failure").counters()
                                             .stream().map(c -> c.getId().getTag("method")).toList();
        assertThat(methods).hasSize(KitexMetrics.MAX_TAG_VALUES + 1).contains("m0", "m255", "other")
                           .doesNotContain("m256");
        assertThat(registry.get("kitex.client.requests").tag("method", "other").tag("result", "failure").counter()
                           .count()).isEqualTo(extra);
        assertThat(registry.get("kitex.client.requests").tag("method", "m7").tag("result", "failure").counter()
                           .count()).isEqualTo(1);
    }

    @Test
    void percentileHistogramsArePublishedWhenAskedFor() throws Exception {
        final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final KitexMetrics withHistograms = KitexMetrics.builder().meterRegistry(prometheus).prefix("my.rpc")
                                                        .percentileHistograms(true).build();
        final KitexClient c = client(b -> b, withHistograms.clientMiddleware());
        withHistograms.bindConnectionPool(c);
        c.stub(InteropService.Iface.class).ping();
        assertThat(prometheus.get("my.rpc.client.duration").tag("method", "ping").timer().count()).isEqualTo(1);
        final String scrape = prometheus.scrape();
        assertThat(scrape).contains("my_rpc_client_duration_seconds_bucket{callee=\"backend\",caller=\"frontend\","
                                    + "method=\"ping\",transport=\"ttheader_framed\",le=\"+Inf\"} 1");
        assertThat(scrape).contains("my_rpc_client_requests_total{callee=\"backend\",caller=\"frontend\","
                                    + "method=\"ping\",result=\"success\",transport=\"ttheader_framed\"} 1.0");
        // The Prometheus names of the other meters, as the README lists them.
        final String ping = "{callee=\"backend\",caller=\"frontend\",method=\"ping\",transport=\"ttheader_framed\"}";
        final String pool = "{callee=\"backend\",caller=\"frontend\"}";
        assertThat(scrape.lines()).contains("my_rpc_client_active_requests" + ping + " 0.0",
                                            "my_rpc_client_attempts_count" + ping + " 1",
                                            "my_rpc_client_attempts_sum" + ping + " 1.0",
                                            "my_rpc_client_duration_seconds_count" + ping + " 1",
                                            "my_rpc_client_connections_open" + pool + " 1.0",
                                            "my_rpc_client_connections_idle" + pool + " 1.0",
                                            "my_rpc_client_connections_acquisition_seconds_count" + pool + " 1");
        assertThat(registry.find("kitex.client.duration").tag("method", "ping").meters()).as("first registry")
                           .isEmpty();
        // Without percentileHistograms: no buckets.
        final PrometheusMeterRegistry plain = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final KitexClient p = client(b -> b, KitexMetrics.builder().meterRegistry(plain).build().clientMiddleware());
        p.stub(InteropService.Iface.class).ping();
        assertThat(plain.scrape()).contains("kitex_client_duration_seconds_count{").doesNotContain("_bucket");
        prometheus.close();
        plain.close();
    }

    @Test
    void aMiddlewareOnTheWrongSidePassesCallsThroughUnmetered() throws Exception {
        final KitexClient c = client(b -> b.fromService("misplaced"), metrics.serverMiddleware());
        assertThat(c.stub(InteropService.Iface.class).echoString("x")).isEqualTo("x");
        assertThat(registry.find("kitex.client.requests").tag("caller", "misplaced").meters()).isEmpty();
        // The server's own middleware metered it, once.
        assertThat(registry.get("kitex.server.requests").tag("caller", "misplaced").tag("result", "success")
                           .counter().count()).isEqualTo(1);
    }

    @Test
    void theBuilderRejectsAMissingRegistryAndABadPrefix() {
        assertThatThrownBy(() -> KitexMetrics.builder().build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("meterRegistry: null (expected: a MeterRegistry)");
        assertThatThrownBy(() -> KitexMetrics.builder().meterRegistry(registry).prefix("").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix: \"\" (expected: a dotted meter name such as kitex or my.rpc)");
        assertThatThrownBy(() -> KitexMetrics.builder().meterRegistry(registry).prefix("a..b").build())
                .hasMessageStartingWith("prefix: \"a..b\" (expected: ");
        final KitexMetrics m = KitexMetrics.builder().meterRegistry(registry).build();
        assertThat(m.prefix()).isEqualTo("kitex");
        assertThat(m.percentileHistograms()).isFalse();
        assertThat(m.meterRegistry()).isSameAs(registry);
        assertThat(m.clientMiddleware()).isSameAs(m.clientMiddleware());
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Long> results(long success, long bizError, long timeout, long failure) {
        final Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put("success", success);
        m.put("biz_error", bizError);
        m.put("timeout", timeout);
        m.put("failure", failure);
        return m;
    }

    /** The request counters of one method of the main client and server, by result, in {@link #results} order. */
    private Map<String, Long> requests(String side, String method) {
        final Map<String, Long> byResult = results(-1, -1, -1, -1);
        for (Counter c : registry.find("kitex." + side + ".requests").tag("method", method).tag("callee", "backend")
                                 .tag("caller", "frontend").counters()) {
            byResult.put(c.getId().getTag("result"), (long) c.count());
        }
        return byResult;
    }

    private Timer timer(String side, String method) {
        return registry.get("kitex." + side + ".duration").tag("method", method).tag("caller", "frontend").timer();
    }

    private double active(String side, String method) {
        final Gauge g = registry.get("kitex." + side + ".active.requests").tag("method", method)
                                .tag("caller", "frontend").gauge();
        return g.value();
    }

    private double pool(String which) {
        return registry.get("kitex.client.connections." + which).tag("caller", "frontend").gauge().value();
    }
}
