package io.kitex4j.benchmarks.load;

import io.kitex4j.core.Transport;
import io.kitex4j.governance.CircuitBreakerConfig;
import io.kitex4j.governance.ClientGovernance;
import io.kitex4j.governance.ClientPolicies;
import io.kitex4j.governance.RetryPolicy;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.client.KitexClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Load runner for the {@code governance} cases of benchmarks/compare.sh: {@code c} threads each keep one blocking
 * {@code EchoServer.Echo} call in flight through one {@link KitexClient}, as {@link LoadRunner -mode blocking}
 * does, with the client's governance chosen by {@code -governance}:
 * <ul>
 *   <li>{@code none}: no governance middleware (the baseline of the other two);</li>
 *   <li>{@code backup}: {@code ClientGovernance} with {@code RetryPolicy.backup(-backup-ms)} for every method
 *   (Kitex's {@code client.WithBackupRequest}), every method idempotent;</li>
 *   <li>{@code retry-cb}: failure retry ({@code RetryPolicy.failure()}, Kitex's defaults) and the service circuit
 *   breaker ({@code CircuitBreakerConfig.DEFAULT}) for every method: what it costs when nothing fails.</li>
 * </ul>
 * Flags: {@code -addr host:port[,host:port...]} (fixed addresses, weighted round robin over them), {@code -transport}
 * (framed, ttheader), {@code -c}, {@code -b} payload bytes, {@code -d} duration, {@code -w} warm-up, {@code -qps}
 * (a total rate shared by all threads: call {@code i} may start at {@code t0 + i/qps}, as the Go peer client's
 * {@code -qps}; 0 = closed loop), {@code -governance}, {@code -backup-ms} (default 10). Prints the same result
 * line as {@link LoadRunner}. Latency is measured from the call's actual start (a late caller's wait is not
 * counted), as in the Go client.
 */
public final class GovernanceLoadRunner {

    private GovernanceLoadRunner() {
    }

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
        int c = 10;
        int b = 1024;
        long durMs = 10_000;
        long warmMs = 5_000;
        double qps = 0;
        String transport = "ttheader";
        String addr = "127.0.0.1:8888";
        String governance = "none";
        long backupMs = 10;
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
                case "-governance" -> { governance = v; i++; }
                case "-backup-ms" -> { backupMs = Long.parseLong(v); i++; }
                default -> throw new IllegalArgumentException("unknown flag " + a
                        + " (-c -b -d -w -qps -transport -addr a,b,c -governance none|backup|retry-cb -backup-ms N)");
            }
        }
        final Transport tp = switch (transport.toLowerCase(Locale.ROOT)) {
            case "framed" -> Transport.FRAMED;
            case "ttheader", "ttheader-framed" -> Transport.TTHEADER_FRAMED;
            default -> throw new IllegalArgumentException("unknown transport " + transport + " (framed, ttheader)");
        };
        final var builder = KitexClient.builder()
                .service("echo")
                .addresses(Arrays.asList(addr.split(",")))
                .transport(tp)
                .rpcTimeout(Duration.ofSeconds(1))
                .maxIdlePerAddress(Math.max(100, c))
                .maxIdleGlobal(Math.max(100, c));
        final ClientPolicies policies = switch (governance) {
            case "none" -> null;
            case "backup" -> ClientPolicies.builder()
                    .retry("*", RetryPolicy.backup(Duration.ofMillis(backupMs)).build())
                    .build();
            case "retry-cb" -> ClientPolicies.builder()
                    .retry("*", RetryPolicy.failure().build())
                    .circuitBreaker("*", CircuitBreakerConfig.DEFAULT)
                    .build();
            default -> throw new IllegalArgumentException(
                    "unknown -governance " + governance + " (none, backup, retry-cb)");
        };
        if (policies != null) {
            final ClientGovernance g = ClientGovernance.builder().policies(policies).idempotent("*").build();
            builder.middleware(g.middleware()).timeoutProvider(g.timeoutProvider()).instanceGate(g.instanceGate());
        }
        final KitexClient client = builder.build();
        final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);
        final String msg = "a".repeat(b);
        if (warmMs > 0) {
            phase(stub, msg, c, warmMs, qps);
        }
        final long allocatedBefore = LoadResult.allocatedBytes();
        final Phase p = phase(stub, msg, c, durMs, qps);
        final long allocated = LoadResult.allocatedBytes() - allocatedBefore + p.workerAllocated;
        LoadResult.print("kitex4j-gov-" + governance, transport, c, b, p.histogram, p.errors, p.seconds,
                p.calls > 0 ? allocated / p.calls : -1);
        client.close();
        System.exit(0);
    }

    private record Phase(Histogram histogram, long errors, double seconds, long calls, long workerAllocated) {
    }

    private static Phase phase(EchoServer.Iface stub, String msg, int c, long millis, double qps)
            throws InterruptedException {
        final AtomicLong errors = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
        final AtomicLong workerAllocated = new AtomicLong();
        final List<Histogram> hs = new ArrayList<>();
        final CountDownLatch done = new CountDownLatch(c);
        final long start = System.nanoTime();
        final long end = start + millis * 1_000_000L;
        // One schedule for all threads (not one per thread, as LoadRunner's -qps): a thread held up by a slow call
        // does not make up for it later in a burst of its own; the others take the slots it misses.
        final long periodNanos = qps > 0 ? (long) (1e9 / qps) : 0;
        final AtomicLong nextSlot = new AtomicLong(start);
        for (int w = 0; w < c; w++) {
            final Histogram h = new Histogram(60_000_000L, 3);
            hs.add(h);
            final Thread t = new Thread(() -> {
                final Request req = new Request("echo", msg);
                final long allocated0 = LoadResult.currentThreadAllocatedBytes();
                try {
                    while (true) {
                        if (periodNanos > 0) {
                            final long slot = nextSlot.getAndAdd(periodNanos);
                            final long sleep = slot - System.nanoTime();
                            if (sleep > 0) {
                                Thread.sleep(sleep / 1_000_000L, (int) (sleep % 1_000_000L));
                            }
                        }
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
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    if (allocated0 >= 0) {
                        workerAllocated.addAndGet(LoadResult.currentThreadAllocatedBytes() - allocated0);
                    }
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
        return new Phase(all, errors.get(), seconds, calls.get(), workerAllocated.get());
    }
}
