package io.kitex4j.benchmarks.load;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.codec.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * End-to-end closed-loop load runner for echo.thrift {@code EchoServer.Echo}, with the flags of the public
 * Kitex benchmark runner: {@code -c} concurrency, {@code -b} payload bytes, {@code -d} duration, {@code -w}
 * warm-up, {@code -qps} target (0 = unlimited), {@code -transport} (framed, ttheader = TTHeaderFramed,
 * buffered, ttheader-unframed), {@code -addr host:port}. Each of the {@code c} workers keeps one blocking call
 * in flight through one shared {@link KitexClient} stub. Latencies go to HdrHistogram (microseconds).
 *
 * <p>{@code -server host:port} instead runs a kitex4j EchoServer (echo handler) until killed.
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
                default -> throw new IllegalArgumentException("unknown flag " + a
                        + " (-c -b -d -w -qps -transport -addr | -server host:port)");
            }
        }
        if (serve != null) {
            serve(serve);
            return;
        }
        final Transport tp = switch (transport.toLowerCase(Locale.ROOT)) {
            case "framed" -> Transport.FRAMED;
            case "ttheader", "ttheader-framed" -> Transport.TTHEADER_FRAMED;
            case "ttheader-unframed" -> Transport.TTHEADER;
            case "buffered" -> Transport.BUFFERED;
            default -> throw new IllegalArgumentException("unknown transport " + transport);
        };
        final KitexClient client = KitexClient.builder()
                .service("echo")
                .addresses(addr)
                .transport(tp)
                .rpcTimeout(Duration.ofSeconds(1))
                .maxIdlePerAddress(Math.max(10, c))
                .maxIdleGlobal(Math.max(100, c))
                .build();
        final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);
        final String msg = "a".repeat(b);
        if (warmMs > 0) {
            phase(stub, msg, c, warmMs, qps);
        }
        final Phase p = phase(stub, msg, c, durMs, qps);
        LoadResult.print("kitex4j", transport, c, b, p.histogram, p.errors, p.seconds);
        client.close();
        System.exit(0);
    }

    private record Phase(Histogram histogram, long errors, double seconds) {
    }

    private static Phase phase(EchoServer.Iface stub, String msg, int c, long millis, double qps)
            throws InterruptedException {
        final AtomicLong errors = new AtomicLong();
        final List<Histogram> hs = new ArrayList<>();
        final CountDownLatch done = new CountDownLatch(c);
        final long start = System.nanoTime();
        final long end = start + millis * 1_000_000L;
        // With a target QPS, each worker paces itself to qps/c calls per second.
        final long intervalNanos = qps > 0 ? (long) (1e9 * c / qps) : 0;
        for (int w = 0; w < c; w++) {
            final Histogram h = new Histogram(60_000_000L, 3);
            hs.add(h);
            final Thread t = new Thread(() -> {
                final Request req = new Request("echo", msg);
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
                    done.countDown();
                }
            }, "load-" + w);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        final double seconds = (System.nanoTime() - start) / 1e9;
        final Histogram all = new Histogram(60_000_000L, 3);
        for (Histogram h : hs) {
            all.add(h);
        }
        return new Phase(all, errors.get(), seconds);
    }

    private static void serve(String hostPort) throws InterruptedException {
        final int colon = hostPort.lastIndexOf(':');
        final KitexServer server = KitexServer.builder()
                .address(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)))
                .service(EchoServer.class, new Echo())
                .exitWait(Duration.ZERO)
                .build()
                .startBlocking();
        System.err.println("kitex4j EchoServer listening on " + hostPort);
        Thread.currentThread().join();
    }

    /** Echoes action and msg, as the public Kitex benchmark servers do. */
    static final class Echo implements EchoServer.Iface {
        @Override
        public Response Echo(Request req) {
            return new Response(req.getAction(), req.getMsg());
        }

        @Override
        public ComplexResponse EchoComplex(ComplexRequest req) {
            return new ComplexResponse(req.getAction(), req.getMsg(), req.getMsgMap(), req.getSubMsgs(),
                    req.getFlagMsg());
        }
    }
}
