package io.kitex4j.cli;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.server.KitexServerBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kitex4j serve}: an echo.thrift {@code EchoServer} that Go Kitex clients (and the public
 * Kitex benchmark clients) can call, registered in etcd when {@code --etcd} is given. It answers
 * every transport Kitex speaks, and stops gracefully on SIGINT or SIGTERM: deregister, serve for
 * the exit wait, drain.
 */
@Command(name = "serve", description = "Run an echo.thrift EchoServer (registered in etcd with --etcd) until SIGINT/SIGTERM.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--addr", required = true, paramLabel = "HOST:PORT", description = "Listen address (port 0: any free port).")
    String address;

    @Mixin
    EtcdOptions etcd;

    @Option(names = "--service", paramLabel = "S", description = "Service name to register (with --etcd).")
    String service;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The answer to action 'whoami' (default: the --service name, else 'kitex4j'), as the Go peer's -name.")
    String name;

    @Option(names = "--weight", paramLabel = "N", defaultValue = "10", description = "Weight (default: ${DEFAULT-VALUE}).")
    int weight;

    @Option(names = "--tag", paramLabel = "k=v", description = "A tag; repeat for more.")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = "--startup-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "With --etcd: how long to keep retrying the first registration before giving up (default: ${DEFAULT-VALUE}).")
    int startupTimeoutSeconds;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics on http://HOST:PORT/metrics and the mesh health on /health (port 0: any free port).")
    String metricsAddress;

    @Mixin
    TracingOptions tracingOptions;

    @Override
    public Integer call() throws Exception {
        final HostAndPort listen;
        try {
            listen = HostAndPort.parse(address);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--addr: " + e.getMessage());
        }
        final KitexServerBuilder b = KitexServer.builder()
                .address(listen.host().isEmpty() ? "0.0.0.0" : listen.host(), listen.port())
                .service(EchoServer.class, new EchoHandler(name != null ? name : service != null ? service : "kitex4j"))
                .shutdownHook(false);
        final TracingOptions.Tracing tracing = tracingOptions.start(service != null ? service : "kitex4j-serve");
        if (tracing != null) {
            b.middleware(tracing.tracing().serverMiddleware());
        }
        final MetricsEndpoint metrics = MetricsEndpoint.attach(metricsAddress, b);
        EtcdRegistry registry = null;
        final boolean registering = etcd.endpoints != null && !etcd.endpoints.isEmpty();
        if (registering != (service != null)) {
            throw new UsageException("--etcd and --service go together");
        }
        if (registering) {
            try {
                if (startupTimeoutSeconds <= 0) {
                    throw new UsageException("--startup-timeout: " + startupTimeoutSeconds + " (expected: > 0)");
                }
                registry = EtcdRegistry.builder().etcd(etcd.toConfig()).keyLayout(etcd.layout())
                        .startupTimeout(Duration.ofSeconds(startupTimeoutSeconds)).build();
                b.registry(registry, service).weight(weight).tags(tags);
                if (metrics != null) {
                    metrics.registry(registry);
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        final KitexServer server;
        try {
            server = b.build().startBlocking();
        } catch (RuntimeException e) {
            if (registry != null) {
                registry.close();
            }
            if (tracing != null) {
                tracing.close();
            }
            throw new UsageException("cannot start the server on " + address + ": " + Etcd.rootMessage(e));
        }
        final EtcdRegistry registryToClose = registry;
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop().join();
                System.out.println("stopped");
            } finally {
                if (registryToClose != null) {
                    registryToClose.close();
                }
                if (tracing != null) {
                    tracing.close();   // exports what is still batched
                }
                done.countDown();
            }
        }, "kitex4j-serve-stop"));
        // Announce only once the hook is in place, so a signal right after the line still stops gracefully.
        final HostAndPort bound = new HostAndPort(server.localAddress().getAddress().getHostAddress(), server.port());
        System.out.println("serving EchoServer on " + bound
                + (registering ? " registered as " + service : "") + " (Ctrl-C to stop)");
        done.await();
        return 0;
    }
}
