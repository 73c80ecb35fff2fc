package io.kitex4j.benchmarks.load;

import io.kitex4j.benchmarks.BenchObservability;
import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.client.AsyncStub;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.thriftrpc.server.KitexServer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * End-to-end closed-loop load runner for echo.thrift {@code EchoServer.Echo}, with the flags of the public
 * Kitex benchmark runner: {@code -c} concurrency, {@code -b} payload bytes, {@code -d} duration, {@code -w}
 * warm-up, {@code -qps} target (0 = unlimited), {@code -transport} (framed, ttheader = TTHeaderFramed,
 * buffered, ttheader-unframed), {@code -addr host:port}, {@code -io N} (client I/O threads; default one per
 * CPU). Latencies go to HdrHistogram (microseconds). With {@code -mode blocking} (the default) each of
 * {@code c} threads keeps one blocking call in flight through one shared {@link KitexClient} stub, as a
 * Go client's goroutines do; with {@code -mode async} {@code c} chains of {@link AsyncStub} calls each start
 * the next call from the previous one's completion, with no application threads; with {@code -mode virtual}
 * each of {@code c} virtual threads (JDK 21 or later; the project targets 17, so they are reached by
 * method handles) keeps one blocking call in flight, as in {@code blocking}. {@code -pool N} sets the
 * client's idle-connection pool ({@code maxIdlePerAddress} and {@code maxIdleGlobal}; default
 * {@code max(c, 100)}), so that every one of the {@code c} callers returns its connection to the pool
 * instead of closing it. The result line also gives the bytes the client JVM allocated per call during the
 * measured phase.
 *
 * <p>{@code -server host:port} instead runs a kitex4j EchoServer (echo handler) until killed, with
 * {@code -handlers lanes} (the default handler lanes; {@code pool} is an old name for it), {@code -handlers threadpool}
 * (issue 10's default: a task per call on 200 pooled threads), {@code -handlers virtual} (a virtual thread per call,
 * JDK 21+) or {@code -handlers direct}
 * ({@link io.kitex4j.thriftrpc.server.KitexServerBuilder#directExecutor()}), and {@code -io N} I/O threads;
 * when stopped it prints on stderr the bytes it allocated per call after its first 100,000 calls.
 * {@code -middlewares N} installs N trivial middlewares on the client or the server. {@code -tracing} puts
 * {@code KitexTracing}'s middleware first on the client or the server, on an OpenTelemetry SDK that samples every
 * call and batches the spans to an exporter that drops them; {@code -metrics} puts {@code KitexMetrics}' middleware
 * next (first without {@code -tracing}), on a {@code SimpleMeterRegistry} ({@link BenchObservability};
 * benchmarks/README.md, "Observability overhead").
 */
public final class LoadRunner {

    public static void main(String[] args) {
        LoadResult.quietLogging();
        try {
            run(args);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        int c = 100;
        int b = 1024;
        long durMs = 10_000;
        long warmMs = 5_000;
        double qps = 0;
        String transport = "framed";
        String addr = "127.0.0.1:8888";
        String serve = null;
        String mode = "blocking";
        String handlers = "pool";
        int io = 0;
        int middlewares = 0;
        int pool = 0;
        boolean tracing = false;
        boolean metrics = false;
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            final String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "-c" -> { c = Integer.parseInt(v); i++; }
                case "-b" -> { b = Integer.parseInt(v); i++; }
                case "-d" -> { durMs = LoadResult.parseDurationMillis(v); i++; }
                case "-w" -> { warmMs = LoadResult.parseDurationMillis(v); i++; }
                case "-qps" -> { qps = Double.parseDouble(v); i++; }
                case "-transport" -> { transport = v; i++; }
                case "-addr" -> { addr = v; i++; }
                case "-server" -> { serve = v; i++; }
                case "-mode" -> { mode = v; i++; }
                case "-handlers" -> { handlers = v; i++; }
                case "-io" -> { io = Integer.parseInt(v); i++; }
                case "-middlewares" -> { middlewares = Integer.parseInt(v); i++; }
                case "-pool" -> { pool = Integer.parseInt(v); i++; }
                case "-tracing" -> tracing = true;
                case "-metrics" -> metrics = true;
                default -> throw new IllegalArgumentException("unknown flag " + a
                        + " (-c -b -d -w -qps -transport -addr -mode blocking|async|virtual"
                        + " -io N -middlewares N -pool N -tracing -metrics | -server host:port"
                        + " -handlers lanes|direct|threadpool|virtual -io N -middlewares N -tracing -metrics)");
            }
        }
        if (serve != null) {
            serve(serve, handlers, io, middlewares, tracing, metrics);
            return;
        }
        final boolean async = mode.equals("async");
        final ThreadFactory workers = switch (mode) {
            case "blocking" -> null;
            case "async" -> null;
            case "virtual" -> virtualThreadFactory();
            default -> throw new IllegalArgumentException("unknown mode " + mode + " (blocking, async, virtual)");
        };
        final Transport tp = switch (transport.toLowerCase(Locale.ROOT)) {
            case "framed" -> Transport.FRAMED;
            case "ttheader", "ttheader-framed" -> Transport.TTHEADER_FRAMED;
            case "ttheader-unframed" -> Transport.TTHEADER;
            case "buffered" -> Transport.BUFFERED;
            default -> throw new IllegalArgumentException("unknown transport " + transport);
        };
        final var clientBuilder = KitexClient.builder()
                .service("echo")
                .addresses(addr)
                .transport(tp)
                .rpcTimeout(Duration.ofSeconds(1))
                .maxIdlePerAddress(pool > 0 ? pool : Math.max(100, c))
                .maxIdleGlobal(pool > 0 ? pool : Math.max(100, c));
        if (io > 0) {
            clientBuilder.ioThreads(io);
        }
        if (tracing) {
            clientBuilder.middleware(BenchObservability.tracing("kitex4j-bench-client").clientMiddleware());
        }
        if (metrics) {
            clientBuilder.middleware(BenchObservability.metrics().clientMiddleware());
        }
        if (middlewares > 0) {
            clientBuilder.middleware(trivialMiddlewares(middlewares));
        }
        final KitexClient client = clientBuilder.build();
        final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);
        final AsyncStub<EchoServer.Iface> asyncStub = client.async(EchoServer.Iface.class);
        final String msg = "a".repeat(b);
        if (warmMs > 0) {
            if (async) {
                asyncPhase(asyncStub, msg, c, warmMs, qps);
            } else {
                phase(stub, msg, c, warmMs, qps, workers);
            }
        }
        final long allocatedBefore = LoadResult.allocatedBytes();
        final Phase p = async ? asyncPhase(asyncStub, msg, c, durMs, qps)
                : phase(stub, msg, c, durMs, qps, workers);
        final long allocated = LoadResult.allocatedBytes() - allocatedBefore + p.workerAllocated;
        LoadResult.print("kitex4j" + (mode.equals("blocking") ? "" : "-" + mode), transport, c, b, p.histogram, p.errors, p.seconds,
                p.calls > 0 ? allocated / p.calls : -1);
        client.close();
        System.exit(0);
    }

    /** {@code workerAllocated}: what threads that ended within the phase allocated. */
    private record Phase(Histogram histogram, long errors, double seconds, long calls, long workerAllocated) {
    }

    /**
     * {@code c} calls in flight through the {@link AsyncStub}, each started from the previous one's
     * completion (on the client's I/O thread): no application threads at all.
     */
    private static Phase asyncPhase(AsyncStub<EchoServer.Iface> stub, String msg, int c, long millis, double qps)
            throws InterruptedException {
        final AtomicLong errors = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
        final Histogram all = new Histogram(60_000_000L, 3);
        final CountDownLatch done = new CountDownLatch(c);
        final long start = System.nanoTime();
        final long end = start + millis * 1_000_000L;
        final long intervalNanos = qps > 0 ? (long) (1e9 * c / qps) : 0;
        final Request req = new Request("echo", msg);
        final ScheduledExecutorService pacer = intervalNanos > 0
                ? Executors.newSingleThreadScheduledExecutor() : null;
        for (int w = 0; w < c; w++) {
            new AsyncWorker(stub, req, msg.length(), end, intervalNanos, pacer, all, errors, calls, done).next();
        }
        done.await();
        final double seconds = (System.nanoTime() - start) / 1e9;
        if (pacer != null) {
            pacer.shutdownNow();
        }
        synchronized (all) {
            return new Phase(all.copy(), errors.get(), seconds, calls.get(), 0);
        }
    }

    /** One chain of calls: each completion records its latency and starts the next call. */
    private static final class AsyncWorker {
        private final AsyncStub<EchoServer.Iface> stub;
        private final Request req;
        private final int expectedLength;
        private final long end;
        private final long intervalNanos;
        private final ScheduledExecutorService pacer;
        private final Histogram histogram;
        private final AtomicLong errors;
        private final AtomicLong calls;
        private final CountDownLatch done;
        private long nextStart = System.nanoTime();

        AsyncWorker(AsyncStub<EchoServer.Iface> stub, Request req, int expectedLength, long end, long intervalNanos,
                    ScheduledExecutorService pacer, Histogram histogram, AtomicLong errors,
                    AtomicLong calls, CountDownLatch done) {
            this.stub = stub;
            this.req = req;
            this.expectedLength = expectedLength;
            this.end = end;
            this.intervalNanos = intervalNanos;
            this.pacer = pacer;
            this.histogram = histogram;
            this.errors = errors;
            this.calls = calls;
            this.done = done;
        }

        void next() {
            final long t0 = System.nanoTime();
            if (t0 >= end) {
                done.countDown();
                return;
            }
            stub.call(e -> e.Echo(req)).whenComplete((r, ex) -> {
                if (ex != null || r == null || r.getMsg() == null || r.getMsg().length() != expectedLength) {
                    errors.incrementAndGet();
                } else {
                    final long us = Math.min((System.nanoTime() - t0) / 1000, 60_000_000L);
                    // One histogram for all chains: they complete on a few I/O threads, so the lock is cheap.
                    synchronized (histogram) {
                        histogram.recordValue(us);
                    }
                    calls.incrementAndGet();
                }
                if (intervalNanos > 0) {
                    nextStart += intervalNanos;
                    final long delay = nextStart - System.nanoTime();
                    if (delay > 0) {
                        pacer.schedule(this::next, delay, TimeUnit.NANOSECONDS);
                        return;
                    }
                }
                next();
            });
        }
    }

    /**
     * {@code Thread.ofVirtual().name("load-", 0).factory()} through method handles, so that this class still
     * compiles for and runs on Java 17 in the other modes.
     */
    static ThreadFactory virtualThreadFactory() {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            final Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
            final Object builder = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual))
                    .invoke();
            final Object named = lookup.findVirtual(ofVirtual, "name",
                    MethodType.methodType(ofVirtual, String.class, long.class)).invoke(builder, "load-", 0L);
            return (ThreadFactory) lookup.findVirtual(ofVirtual, "factory", MethodType.methodType(ThreadFactory.class))
                    .invoke(named);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalStateException("-mode virtual needs virtual threads: JDK 21 or later (this is "
                    + System.getProperty("java.version") + " at " + System.getProperty("java.home") + ")");
        } catch (Throwable t) {
            throw new IllegalStateException("-mode virtual: cannot create a virtual-thread factory", t);
        }
    }

    /** {@code c} threads (platform threads, or from {@code factory} when it is not null) each calling blocking. */
    private static Phase phase(EchoServer.Iface stub, String msg, int c, long millis, double qps,
                               ThreadFactory factory) throws InterruptedException {
        final AtomicLong errors = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
        final AtomicLong workerAllocated = new AtomicLong();
        final List<Histogram> hs = new ArrayList<>();
        final CountDownLatch done = new CountDownLatch(c);
        final long start = System.nanoTime();
        final long end = start + millis * 1_000_000L;
        // With a target QPS, each worker paces itself to qps/c calls per second.
        final long intervalNanos = qps > 0 ? (long) (1e9 * c / qps) : 0;
        for (int w = 0; w < c; w++) {
            final Histogram h = new Histogram(60_000_000L, 3);
            hs.add(h);
            final Runnable body = () -> {
                final Request req = new Request("echo", msg);
                // -1 on a virtual thread: its allocations count to its carrier, which outlives the phase.
                final long allocated0 = LoadResult.currentThreadAllocatedBytes();
                long next = System.nanoTime();
                try {
                    while (true) {
                        final long t0 = System.nanoTime();
                        if (t0 >= end) {
                            break;
                        }
                        try {
                            final Response r = stub.Echo(req);
                            if (r == null || r.getMsg() == null || r.getMsg().length() != msg.length()) {
                                errors.incrementAndGet();
                            } else {
                                h.recordValue(Math.min((System.nanoTime() - t0) / 1000, 60_000_000L));
                                calls.incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                        if (intervalNanos > 0) {
                            next += intervalNanos;
                            final long sleep = next - System.nanoTime();
                            if (sleep > 0) {
                                Thread.sleep(sleep / 1_000_000L, (int) (sleep % 1_000_000L));
                            }
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    if (allocated0 >= 0) {
                        workerAllocated.addAndGet(LoadResult.currentThreadAllocatedBytes() - allocated0);
                    }
                    done.countDown();
                }
            };
            final Thread t;
            if (factory != null) {
                t = factory.newThread(body);
            } else {
                t = new Thread(body, "load-" + w);
                t.setDaemon(true);
            }
            t.start();
        }
        done.await();
        final double seconds = (System.nanoTime() - start) / 1e9;
        final Histogram all = new Histogram(60_000_000L, 3);
        for (Histogram h : hs) {
            all.add(h);
        }
        return new Phase(all, errors.get(), seconds, calls.get(), workerAllocated.get());
    }

    /**
     * {@code n} trivial middlewares, cycling through a pass-through, a timer ({@code System.nanoTime} and
     * {@code whenComplete}) and one that sets a context attribute: what the cost of "three trivial
     * middlewares" in benchmarks/README.md is measured with.
     */
    static Middleware[] trivialMiddlewares(int n) {
        final Middleware passThrough = next -> next::invoke;
        final Middleware timer = next -> (ctx, req) -> {
            final long start = System.nanoTime();
            return next.invoke(ctx, req).whenComplete((r, e) -> MIDDLEWARE_NANOS.add(System.nanoTime() - start));
        };
        final Middleware tagger = next -> (ctx, req) -> {
            ctx.setAttribute(TAG, Boolean.TRUE);
            return next.invoke(ctx, req);
        };
        final Middleware[] all = {passThrough, timer, tagger};
        final Middleware[] out = new Middleware[n];
        for (int i = 0; i < n; i++) {
            out[i] = all[i % all.length];
        }
        return out;
    }

    private static final AttributeKey<Boolean> TAG = AttributeKey.of("bench-tag");
    private static final java.util.concurrent.atomic.LongAdder MIDDLEWARE_NANOS =
            new java.util.concurrent.atomic.LongAdder();

    /** {@code Executors.newVirtualThreadPerTaskExecutor()} through method handles (this class targets Java 17). */
    private static java.util.concurrent.ExecutorService virtualThreadPerTaskExecutor() {
        try {
            return (java.util.concurrent.ExecutorService) MethodHandles.publicLookup().findStatic(
                    java.util.concurrent.Executors.class, "newVirtualThreadPerTaskExecutor",
                    MethodType.methodType(java.util.concurrent.ExecutorService.class)).invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("-handlers virtual needs virtual threads: JDK 21 or later (this is "
                    + System.getProperty("java.version") + ")", t);
        }
    }

    private static void serve(String hostPort, String handlers, int io, int middlewares, boolean tracing,
                              boolean metrics) throws InterruptedException {
        final int colon = hostPort.lastIndexOf(':');
        final Echo echo = new Echo();
        final var builder = KitexServer.builder()
                .address(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))
                .service(EchoServer.class, echo)
                .exitWait(Duration.ZERO)
                .ioThreads(io);
        if (tracing) {
            builder.middleware(BenchObservability.tracing("kitex4j-bench-server").serverMiddleware());
        }
        if (metrics) {
            builder.middleware(BenchObservability.metrics().serverMiddleware());
        }
        if (middlewares > 0) {
            builder.middleware(trivialMiddlewares(middlewares));
        }
        switch (handlers) {
            // "pool" is the old name of the default (since issue 11 the handler lanes, no longer a pool).
            case "pool", "lanes" -> { }
            case "direct" -> builder.directExecutor();
            // Issue 10's default, for comparison: a task per call on a ThreadPoolExecutor of 200 threads.
            case "threadpool" -> builder.executor(new java.util.concurrent.ThreadPoolExecutor(200, 200, 60,
                    java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(),
                    new io.netty.util.concurrent.DefaultThreadFactory("threadpool-handler", true)), true)
                                   .ioThreads(io > 0 ? io : 2 * Runtime.getRuntime().availableProcessors());
            // A virtual thread per call (JDK 21+), one per CPU I/O threads as with the lanes.
            case "virtual" -> builder.executor(virtualThreadPerTaskExecutor(), true)
                                     .ioThreads(io > 0 ? io : Runtime.getRuntime().availableProcessors());
            default -> throw new IllegalArgumentException(
                    "unknown -handlers " + handlers + " (lanes, direct, threadpool, virtual)");
        }
        final KitexServer server = builder.build().startBlocking();
        Runtime.getRuntime().addShutdownHook(new Thread(echo::printStats, "stats"));
        System.err.println("kitex4j EchoServer listening on " + hostPort + " (handlers: " + handlers
                + ", middlewares: " + middlewares + (tracing ? ", tracing" : "") + (metrics ? ", metrics" : "") + ")");
        Thread.currentThread().join();
    }

    /**
     * Echoes action and msg, as the public Kitex benchmark servers do, and counts calls. From the
     * {@value #STATS_FROM}th call on (JIT-compiled by then) it measures what the server JVM allocates,
     * printed per call on stderr when the server is stopped.
     */
    static final class Echo implements EchoServer.Iface {
        static final long STATS_FROM = 100_000;
        private final AtomicLong calls = new AtomicLong();
        private volatile long allocatedAtStart = -1;

        @Override
        public Response Echo(Request req) {
            if (calls.incrementAndGet() == STATS_FROM) {
                allocatedAtStart = LoadResult.allocatedBytes();
            }
            return new Response(req.getAction(), req.getMsg());
        }

        @Override
        public ComplexResponse EchoComplex(ComplexRequest req) {
            return new ComplexResponse(req.getAction(), req.getMsg(), req.getMsgMap(), req.getSubMsgs(),
                    req.getFlagMsg());
        }

        void printStats() {
            final long n = calls.get() - STATS_FROM;
            final long start = allocatedAtStart;
            System.err.printf(Locale.ROOT, "{\"event\":\"server-stats\",\"calls\":%d,\"allocBytesPerCall\":%d}%n",
                    calls.get(), start >= 0 && n > 0 ? (LoadResult.allocatedBytes() - start) / n : -1);
        }
    }
}
