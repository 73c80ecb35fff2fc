package io.kitex4j.cli;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdConnection;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.client.BackwardValues;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.server.ServerCallContext;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kitex4j demo}: a Java service joining a Kitex mesh, end to end, on a private etcd that is
 * removed afterwards. Two Java Kitex servers register as a Go Kitex server would; a Java client
 * finds them through an etcd watch and calls them over TTHeader with metainfo; one server then shuts
 * down gracefully while calls go on.
 *
 * <p>With {@code --go-bin} (which {@code bin/kitex4j} sets when Go is installed), a Go Kitex server
 * and client from {@code interop-tests/go} join the same etcd: the Java client calls the Go server,
 * and the Go client calls the Java servers, both over TTHeader with metainfo.
 */
@Command(name = "demo", description = "Start a private etcd, run Java Kitex servers and a client that find and call each other, clean up.")
final class DemoCommand implements Callable<Integer> {

    private static final String SERVICE = "kitex4j.demo.echo";
    private static final String GO_SERVICE = "kitex4j.demo.go";

    @Option(names = "--go-bin", paramLabel = "DIR", description = "Directory with the Go Kitex peer's server and client binaries (bin/kitex4j builds them).")
    Path goBin;

    @Option(names = "--go-skip", paramLabel = "REASON", description = "Why the Go Kitex peer is left out (set by bin/kitex4j).")
    String goSkip;

    private final List<String[]> rows = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        final long start = System.nanoTime();
        System.out.println("kitex4j demo: starting a private etcd...");
        long closing;
        try (EtcdCluster etcd = EtcdCluster.builder().members(1).start()) {
            row("etcd", "-", "-", "started at " + etcd.endpoints().get(0), start);
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(etcd.endpoints()).build();
            // One connection, one jetcd client, for both the registry and the resolver.
            try (EtcdConnection connection = EtcdConnection.of(config);
                 EtcdRegistry registry = EtcdRegistry.builder().connection(connection).build();
                 EtcdResolver resolver = EtcdResolver.builder().connection(connection).build();
                 Client raw = config.newClient()) {
                long t = System.nanoTime();
                final KitexServer java1 = server(registry, "java-1", 3);
                row("register", "java-1", "etcd", SERVICE + " at " + address(java1) + ", weight 3", t);
                t = System.nanoTime();
                final KitexServer java2 = server(registry, "java-2", 1);
                row("register", "java-2", "etcd", SERVICE + " at " + address(java2) + ", weight 1", t);

                t = System.nanoTime();
                final String key = "kitex/registry-etcd/" + SERVICE + "/" + address(java1);
                final String value = raw.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8))
                        .get(10, TimeUnit.SECONDS).getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
                row("etcd value", "-", "-", value + "  (what a Go Kitex client reads)", t);

                try (ServiceWatch watch = resolver.watch(SERVICE);
                     KitexClient client = KitexClient.builder().service(SERVICE).fromService("kitex4j.demo.client")
                             .resolver(resolver).transport(Transport.TTHEADER_FRAMED)
                             .rpcTimeout(Duration.ofSeconds(2)).build()) {
                    t = System.nanoTime();
                    final ResolvedInstances found = watch.firstSync().get(10, TimeUnit.SECONDS);
                    row("discover", "java client", "etcd", found.instances().size() + " instances (watch)", t);

                    final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
                    final Map<String, Integer> answeredBy = new TreeMap<>();
                    final Metainfo meta = Metainfo.empty().withTransient("demo-step", "call").withPersistent("trace-id", "t-42");
                    for (int i = 0; i < 8; i++) {
                        t = System.nanoTime();
                        final Response r;
                        final String back;
                        try (Metainfo.Scope ignored = meta.attach(); BackwardValues backward = BackwardValues.capture()) {
                            r = echo.Echo(new Request("whoami", "hello " + i));
                            back = backward.get("served-by");
                        }
                        answeredBy.merge(back, 1, Integer::sum);
                        if (i < 2) {
                            row("call", "java client", back, "Echo over TTHeaderFramed: " + r.getMsg(), t);
                        }
                    }
                    row("8 calls", "java client", "-", "answered by " + answeredBy + " (weights 3:1)", -1);

                    t = System.nanoTime();
                    final int[] failures = {0};
                    final Thread caller = new Thread(() -> {
                        for (int i = 0; i < 200; i++) {
                            try {
                                echo.Echo(new Request("echo", "during shutdown"));
                            } catch (Exception e) {
                                failures[0]++;
                            }
                        }
                    });
                    caller.start();
                    java2.stop().get(30, TimeUnit.SECONDS);
                    caller.join();
                    row("shutdown", "java-2", "etcd", "deregistered, served its exit wait, drained; "
                            + failures[0] + " of 200 concurrent calls failed", t);
                    row("view", "java client", "-", watch.snapshot().instances().size() + " instance left", -1);
                }
                if (goBin != null) {
                    goRoundTrip(etcd.endpoints().get(0), resolver);
                }
                java1.stop().get(30, TimeUnit.SECONDS);
            }
            closing = System.nanoTime();
        }
        row("cleanup", "-", "-", "servers stopped, etcd stopped and its data removed", closing);
        if (goBin == null) {
            row("go peer", "-", "-", "skipped: " + (goSkip != null ? goSkip : "no --go-bin given (run it through bin/kitex4j)"), -1);
        }
        printTable();
        System.out.printf("demo finished in %.1f s%n", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** A Go Kitex server and client (interop-tests/go) meet the Java ones through the same etcd. */
    private void goRoundTrip(String etcdEndpoint, EtcdResolver resolver) throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        long t = System.nanoTime();
        final Process goServer = new ProcessBuilder(goBin.resolve("server").toString(), "-addr", "127.0.0.1:" + port,
                "-etcd", etcdEndpoint, "-service", GO_SERVICE, "-name", "go-1")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            final BufferedReader serverOut = new BufferedReader(new InputStreamReader(goServer.getInputStream(), StandardCharsets.UTF_8));
            if (!awaitLine(serverOut, "\"registered\"", Duration.ofSeconds(30))) {
                throw new IllegalStateException("the Go Kitex server did not register within 30 s");
            }
            row("register", "go-1 (Go)", "etcd", GO_SERVICE + " at 127.0.0.1:" + port + " via registry-etcd", t);

            try (KitexClient client = KitexClient.builder().service(GO_SERVICE).fromService("kitex4j.demo.client")
                    .resolver(resolver).transport(Transport.TTHEADER_FRAMED).rpcTimeout(Duration.ofSeconds(5)).build()) {
                final Metainfo meta = Metainfo.empty().withTransient("demo-step", "java-to-go").withPersistent("trace-id", "t-42");
                t = System.nanoTime();
                final CallInfo seen;
                try (Metainfo.Scope ignored = meta.attach()) {
                    seen = client.stub(InteropService.Iface.class).callInfo();
                }
                row("call", "java client", "go-1", "callInfo over TTHeaderFramed: Go saw caller " + seen.getCallerService()
                        + ", transient " + seen.getTransients() + ", persistent " + seen.getPersistents(), t);
            }

            t = System.nanoTime();
            final Process goClient = new ProcessBuilder(goBin.resolve("client").toString(), "-etcd", etcdEndpoint,
                    "-service", SERVICE, "-transport", "ttheader", "-scenario", "echo", "-msg", "hello from go",
                    "-transient", "demo-step=go-to-java", "-persistent", "trace-id=t-go", "-count", "1")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            final BufferedReader clientOut = new BufferedReader(new InputStreamReader(goClient.getInputStream(), StandardCharsets.UTF_8));
            String call = null;
            for (String line; (line = clientOut.readLine()) != null; ) {
                if (call == null && line.contains("\"event\":\"call\"")) {
                    call = line;
                }
            }
            goClient.waitFor(30, TimeUnit.SECONDS);
            if (call == null || !call.contains("\"ok\":true")) {
                throw new IllegalStateException("the Go Kitex client's call failed: " + call);
            }
            final com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(call);
            row("call", "go client", "java", "Echo over TTHeader (Go process, " + json.path("latencyMicros").asLong() / 1000.0
                    + " ms in Go): " + json.path("result").path("msg").asText(), t);
        } finally {
            goServer.toHandle().destroy(); // SIGTERM: registry-etcd deregisters
            if (!goServer.waitFor(15, TimeUnit.SECONDS)) {
                goServer.destroyForcibly();
            }
        }
    }

    private static boolean awaitLine(BufferedReader in, String needle, Duration within) throws Exception {
        final java.util.concurrent.CompletableFuture<Boolean> found = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.contains(needle)) {
                        return true;
                    }
                }
                return false;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        try {
            return found.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    private static KitexServer server(EtcdRegistry registry, String name, int weight) {
        final EchoServer.Iface handler = new EchoServer.Iface() {
            private final EchoHandler echo = new EchoHandler(name);

            @Override
            public Response Echo(Request req) {
                final ServerCallContext call = ServerCallContext.current();
                call.sendBackward("served-by", name);
                if (!"sleep".equals(req.getAction())) {
                    final Metainfo m = call.metainfo();
                    return new Response(req.getAction(), name + " got '" + req.getMsg() + "' from "
                            + call.callerService() + ", metainfo demo-step=" + m.transientValue("demo-step")
                            + " trace-id=" + m.persistentValue("trace-id"));
                }
                return echo.Echo(req);
            }

            @Override
            public io.kitex4j.idl.echo.ComplexResponse EchoComplex(io.kitex4j.idl.echo.ComplexRequest req) {
                return echo.EchoComplex(req);
            }
        };
        return KitexServer.builder().address("127.0.0.1", 0).service(EchoServer.class, handler)
                .registry(registry, SERVICE).weight(weight).tag("lang", "java").tag("name", name)
                .exitWait(Duration.ofSeconds(1)).shutdownHook(false).build().startBlocking();
    }

    private static String address(KitexServer server) {
        return "127.0.0.1:" + server.port();
    }

    private void row(String step, String from, String to, String detail, long startNanos) {
        final String took = startNanos < 0 ? "" : String.format("%.1f ms", (System.nanoTime() - startNanos) / 1e6);
        rows.add(new String[] {step, from, to, took, detail});
    }

    private void printTable() {
        System.out.println();
        System.out.printf("| %-10s | %-11s | %-6s | %9s | %s%n", "step", "who", "whom", "took", "what happened");
        System.out.printf("|%s|%s|%s|%s|%s%n", "-".repeat(12), "-".repeat(13), "-".repeat(8), "-".repeat(11), "-".repeat(40));
        for (String[] r : rows) {
            System.out.printf("| %-10s | %-11s | %-6s | %9s | %s%n", r[0], r[1], r[2], r[3], r[4]);
        }
        System.out.println();
    }
}
