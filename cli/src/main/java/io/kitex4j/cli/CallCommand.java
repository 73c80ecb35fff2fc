package io.kitex4j.cli;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.client.KitexClientBuilder;
import io.kitex4j.core.Transport;
import io.kitex4j.governance.ClientGovernance;
import io.kitex4j.governance.ClientPolicies;
import io.kitex4j.governance.RetryPolicy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kitex4j call}: calls {@code EchoServer.Echo} on a fixed address or on a service found in
 * etcd, over any Kitex transport, and prints each response with its latency.
 */
@Command(name = "call", description = "Call echo.thrift EchoServer.Echo at --addr, or on --service found through --etcd.")
final class CallCommand implements Callable<Integer> {

    @Option(names = "--addr", paramLabel = "HOST:PORT", description = "Call this address.")
    String address;

    @Mixin
    EtcdOptions etcd;

    @Option(names = "--service", paramLabel = "S", description = "Service to find through --etcd.")
    String service;

    @Option(names = "--transport", paramLabel = "T", defaultValue = "framed",
            description = "buffered, framed, ttheader or ttheader-framed (default: ${DEFAULT-VALUE}, as Kitex >= v0.13).")
    String transport;

    @Option(names = "--action", paramLabel = "A", defaultValue = "echo", description = "Request action (default: ${DEFAULT-VALUE}; 'sleep' with --msg N makes the server wait N ms).")
    String action;

    @Option(names = "--msg", paramLabel = "TEXT", defaultValue = "hello", description = "Request message (default: ${DEFAULT-VALUE}).")
    String msg;

    @Option(names = "--meta", paramLabel = "k=v", description = "Transient metainfo sent with the call (needs a TTHeader transport to cross the wire).")
    Map<String, String> meta = new LinkedHashMap<>();

    @Option(names = "--timeout", paramLabel = "MS", description = "RPC timeout in milliseconds.")
    Long timeoutMillis;

    @Option(names = "--retry", paramLabel = "N",
            description = "Failure retry: up to N more attempts (Kitex's failure retry: 0..5; with --backup-ms, mixed: 0..3).")
    Integer retry;

    @Option(names = "--backup-ms", paramLabel = "D",
            description = "Backup request: another copy if no answer within D ms (Kitex's backup request).")
    Long backupMillis;

    @Option(names = {"-n", "--count"}, paramLabel = "COUNT", defaultValue = "1", description = "Number of calls (default: ${DEFAULT-VALUE}).")
    int count;

    @Mixin
    TracingOptions tracingOptions;

    @Override
    public Integer call() throws Exception {
        final boolean discovery = etcd.endpoints != null && !etcd.endpoints.isEmpty();
        if ((address == null) == !discovery) {
            throw new UsageException("give either --addr, or --etcd with --service");
        }
        if (discovery && service == null) {
            throw new UsageException("--etcd needs --service");
        }
        if (count < 1) {
            throw new UsageException("--count must be at least 1");
        }
        final Transport t = parseTransport(transport);
        EtcdResolver resolver = null;
        final KitexClientBuilder b = KitexClient.builder().transport(t).fromService("kitex4j-cli");
        final RetryPolicy policy;
        try {
            if (discovery) {
                resolver = EtcdResolver.builder().etcd(etcd.toConfig()).keyLayout(etcd.layout()).build();
                b.service(service).resolver(resolver);
            } else {
                b.service("kitex4j.echo").addresses(address);
            }
            if (timeoutMillis != null) {
                b.rpcTimeout(Duration.ofMillis(timeoutMillis));
            }
            policy = retryPolicy(retry, backupMillis);
        } catch (IllegalArgumentException e) {
            if (resolver != null) {
                resolver.close();
            }
            throw new UsageException(e.getMessage());
        }
        Metainfo metainfo = Metainfo.empty();
        for (Map.Entry<String, String> e : meta.entrySet()) {
            metainfo = metainfo.withTransient(e.getKey(), e.getValue());
        }
        final TracingOptions.Tracing tracing = tracingOptions.start("kitex4j-cli");
        if (tracing != null) {
            b.middleware(tracing.tracing().clientMiddleware());
        }
        if (policy != null) {
            // After tracing: the span covers the call with all its attempts, as Kitex's retry container sits
            // inside its tracer.
            governed(b, policy);
        }
        int failures = 0;
        try (TracingOptions.Tracing closesLast = tracing; KitexClient client = b.build();
             Metainfo.Scope ignored = metainfo.attach()) {
            final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
            for (int i = 0; i < count; i++) {
                final long start = System.nanoTime();
                try {
                    final Response r = echo.Echo(new Request(action, msg));
                    System.out.printf("Echo action=%s msg=%s (%.2f ms, %s)%n", r.getAction(), r.getMsg(),
                            (System.nanoTime() - start) / 1e6, transport);
                } catch (Exception e) {
                    failures++;
                    System.out.printf("Echo failed after %.2f ms: %s%n", (System.nanoTime() - start) / 1e6,
                            Etcd.rootMessage(e));
                }
            }
        } finally {
            if (resolver != null) {
                resolver.close();
            }
        }
        if (failures > 0) {
            throw new UsageException(failures + " of " + count + " calls failed");
        }
        return 0;
    }

    /**
     * The retry policy of {@code --retry N} (failure retry), {@code --backup-ms D} (backup request) or both
     * (mixed), or {@code null} for neither.
     *
     * @throws UsageException for values out of Kitex's bounds
     */
    static RetryPolicy retryPolicy(Integer retry, Long backupMillis) {
        if (retry == null && backupMillis == null) {
            return null;
        }
        try {
            if (backupMillis == null) {
                return RetryPolicy.failure().maxRetryTimes(retry).build();
            }
            final Duration delay = Duration.ofMillis(backupMillis);
            final RetryPolicy.Builder p = retry == null ? RetryPolicy.backup(delay) : RetryPolicy.mixed(delay);
            if (retry != null) {
                p.maxRetryTimes(retry);
            }
            return p.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException((backupMillis == null ? "--retry" : retry == null ? "--backup-ms"
                    : "--retry/--backup-ms") + ": " + e.getMessage());
        }
    }

    /**
     * Puts {@code policy} on every method, all of them marked idempotent (Echo is): the CLI's calls may be sent
     * again although they may have been processed.
     */
    private static void governed(KitexClientBuilder b, RetryPolicy policy) {
        final ClientGovernance g = ClientGovernance.builder()
                .policies(ClientPolicies.builder().retry(ClientPolicies.WILDCARD, policy).build())
                .idempotent(ClientPolicies.WILDCARD)
                .build();
        b.middleware(g.middleware()).timeoutProvider(g.timeoutProvider());
    }

    static Transport parseTransport(String name) {
        try {
            return Transport.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--transport: '" + name + "' is not one of buffered, framed, ttheader, ttheader-framed");
        }
    }
}
