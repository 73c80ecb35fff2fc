package io.kitex4j.benchmarks;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.micrometer.KitexMetrics;
import io.kitex4j.opentelemetry.KitexTracing;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What client middleware costs per call, apart from the network: the invocation of a middleware chain
 * around an endpoint that completes at once (as the client's terminal endpoint does when the reply is
 * already there), with 0 and with 3 trivial middlewares, and what building a chain costs (once per
 * client, at {@code build()}).
 *
 * <ul>
 * <li>{@code noMiddleware}: the endpoint alone; a client without middleware does not even have this
 * indirection (it calls its per-call object directly), so this is an upper bound for that path.</li>
 * <li>{@code threeMiddlewares}: a pass-through, a timer ({@code System.nanoTime} and {@code whenComplete})
 * and one that sets a context attribute and adds a transient metainfo value.</li>
 * <li>{@code buildThreeMiddlewareChain}: {@link Middleware#chain} of those three.</li>
 * <li>{@code clientTracing}, {@code serverTracing}: {@code KitexTracing}'s middleware as LoadRunner's
 * {@code -tracing} sets it up ({@link BenchObservability#tracing}: always-on sampler, spans batched to an exporter
 * that drops them). The server's context carries the transient metainfo a traced kitex4j client sends (trace
 * context in b3, ot-tracer-* and traceparent, and the caller's service name), so the server extracts a parent.</li>
 * <li>{@code clientMetrics}, {@code serverMetrics}: {@code KitexMetrics}' middleware on a
 * {@code SimpleMeterRegistry} ({@link BenchObservability#metrics}).</li>
 * <li>{@code clientTracingAndMetrics}, {@code serverTracingAndMetrics}: both, tracing first, as LoadRunner's
 * {@code -tracing -metrics}.</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/benchmarks.jar MiddlewareBenchmark -prof gc}; {@code gc.alloc.rate.norm}
 * is the bytes allocated per call (benchmarks/README.md, "Observability overhead", has the figures). The span
 * processor's export thread converts and drops the spans; what it allocates counts too.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MiddlewareBenchmark {

    private static final AttributeKey<Long> START = AttributeKey.of("start");

    static final Middleware PASS_THROUGH = next -> next::invoke;

    static final Middleware TIMER = next -> (ctx, req) -> {
        final long start = System.nanoTime();
        return next.invoke(ctx, req).whenComplete((v, e) -> Blackhole.sink = System.nanoTime() - start);
    };

    static final Middleware TAGGER = next -> (ctx, req) -> {
        ctx.setAttribute(START, 1L);
        ctx.setMetainfo(ctx.metainfo().withTransient("mw", "1"));
        return next.invoke(ctx, req);
    };

    /** Where the timer puts its measurement, so that it is not optimised away. */
    static final class Blackhole {
        static volatile long sink;
    }

    private final Object request = new Object();
    private final Object result = "result";
    private Endpoint terminal;
    private Endpoint none;
    private Endpoint three;
    private Endpoint clientTracing;
    private Endpoint serverTracing;
    private Endpoint clientMetrics;
    private Endpoint serverMetrics;
    private Endpoint clientTracingAndMetrics;
    private Endpoint serverTracingAndMetrics;
    private BenchContext context;
    private BenchContext serverContext;

    @Setup
    public void setUp() {
        terminal = (ctx, req) -> CompletableFuture.completedFuture(result);
        none = Middleware.chain(List.of(), terminal);
        three = Middleware.chain(List.of(PASS_THROUGH, TIMER, TAGGER), terminal);
        final KitexTracing clientTracer = BenchObservability.tracing("bench-client");
        final KitexTracing serverTracer = BenchObservability.tracing("echo");
        final KitexMetrics metrics = BenchObservability.metrics();
        clientTracing = Middleware.chain(List.of(clientTracer.clientMiddleware()), terminal);
        serverTracing = Middleware.chain(List.of(serverTracer.serverMiddleware()), terminal);
        clientMetrics = Middleware.chain(List.of(metrics.clientMiddleware()), terminal);
        serverMetrics = Middleware.chain(List.of(metrics.serverMiddleware()), terminal);
        clientTracingAndMetrics = Middleware.chain(List.of(clientTracer.clientMiddleware(),
                metrics.clientMiddleware()), terminal);
        serverTracingAndMetrics = Middleware.chain(List.of(serverTracer.serverMiddleware(),
                metrics.serverMiddleware()), terminal);
        context = new BenchContext(CallContext.Side.CLIENT, Metainfo.empty());
        // What a traced client sends, as the server reads it: the request header's strings, then forNextHop().
        final Map<String, String> sent = new java.util.HashMap<>();
        Middleware.chain(List.of(clientTracer.clientMiddleware()), (ctx, req) -> {
            sent.putAll(ctx.metainfo().toHeaderStrings());
            return CompletableFuture.completedFuture(result);
        }).invoke(new BenchContext(CallContext.Side.CLIENT, Metainfo.empty()), request).join();
        serverContext = new BenchContext(CallContext.Side.SERVER, Metainfo.fromHeaderStrings(sent).forNextHop());
    }

    @Benchmark
    public Object noMiddleware() {
        context.reset();
        return none.invoke(context, request).join();
    }

    @Benchmark
    public Object threeMiddlewares() {
        context.reset();
        return three.invoke(context, request).join();
    }

    @Benchmark
    public Object clientTracing() {
        context.reset();
        return clientTracing.invoke(context, request).join();
    }

    @Benchmark
    public Object serverTracing() {
        serverContext.reset();
        return serverTracing.invoke(serverContext, request).join();
    }

    @Benchmark
    public Object clientMetrics() {
        context.reset();
        return clientMetrics.invoke(context, request).join();
    }

    @Benchmark
    public Object serverMetrics() {
        serverContext.reset();
        return serverMetrics.invoke(serverContext, request).join();
    }

    @Benchmark
    public Object clientTracingAndMetrics() {
        context.reset();
        return clientTracingAndMetrics.invoke(context, request).join();
    }

    @Benchmark
    public Object serverTracingAndMetrics() {
        serverContext.reset();
        return serverTracingAndMetrics.invoke(serverContext, request).join();
    }

    @Benchmark
    public Endpoint buildThreeMiddlewareChain() {
        return Middleware.chain(List.of(PASS_THROUGH, TIMER, TAGGER), terminal);
    }

    /**
     * A call context as small as the client's own: fields, an attribute slot, no map until needed. {@code reset()}
     * puts back the metainfo it was made with (a server's: what the request carried).
     */
    static final class BenchContext implements CallContext {
        private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 8888);

        private final Side side;
        private final Metainfo initial;
        private Metainfo metainfo;
        private Object attribute;

        BenchContext(Side side, Metainfo initial) {
            this.side = side;
            this.initial = initial;
            this.metainfo = initial;
        }

        void reset() {
            metainfo = initial;
            attribute = null;
        }

        @Override public Side side() { return side; }
        @Override public String callerService() { return "bench-client"; }
        @Override public String callerMethod() { return ""; }
        @Override public String calleeService() { return "echo"; }
        @Override public String idlService() { return "EchoServer"; }
        @Override public String method() { return "Echo"; }
        @Override public Transport transport() { return Transport.TTHEADER_FRAMED; }
        @Override public boolean oneway() { return false; }
        @Override public Duration rpcTimeout() { return null; }
        @Override public long deadlineNanos() { return 0; }
        @Override public InetSocketAddress remoteAddress() { return REMOTE; }
        @Override public int attempt() { return 1; }
        @Override public Metainfo metainfo() { return metainfo; }
        @Override public void setMetainfo(Metainfo metainfo) { this.metainfo = metainfo; }
        @Override public Map<String, String> backwardValues() { return Map.of(); }
        @Override public void sendBackward(String key, String value) { throw new UnsupportedOperationException(); }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T attribute(AttributeKey<T> key) {
            return key == START ? (T) attribute : null;
        }

        @Override
        public <T> void setAttribute(AttributeKey<T> key, T value) {
            if (key == START) {
                attribute = value;
            }
        }
    }
}
