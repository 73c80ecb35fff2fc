package io.kitex4j.benchmarks.startup;

import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.client.KitexClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up to first served call of a server process, measured as the Go server's is in
 * {@code DiscoverySpeedRun}: from {@code ProcessBuilder.start()} (exec) until a call from this (already warm)
 * JVM is answered. The client polls: a TCP connect every 0.5 ms until the port accepts, then Echo calls until
 * one is answered. Prints, per run, the time to the port accepting, to the first answer, the child's
 * VmRSS then and the classes it had loaded (total and from the CDS archive, from {@code jcmd PerfCounter.print});
 * then the medians.
 *
 * <pre>
 * java -cp benchmarks.jar io.kitex4j.benchmarks.startup.StartupRun [--runs 5] [--port 9480] [--transport framed] \
 *     -- java -jar cli/target/kitex4j-cli.jar serve --addr 127.0.0.1:{port}
 * </pre>
 *
 * {@code {port}} in the command is replaced by the run's port (a new one per run, so that a closing server's
 * port is never polled).
 */
public final class StartupRun {

    private StartupRun() {
    }

    public static void main(String[] args) throws Exception {
        // Logback at WARN: the benchmarks jar has no logback.xml.
        final org.slf4j.Logger root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(ch.qos.logback.classic.Level.WARN);
        }
        int runs = 5;
        int port = 9480;
        String transport = "framed";
        int dashes = Arrays.asList(args).indexOf("--");
        if (dashes < 0 || dashes == args.length - 1) {
            throw new IllegalArgumentException("usage: StartupRun [--runs N] [--port P] [--transport framed|ttheader]"
                    + " -- COMMAND ... {port} ...");
        }
        for (int i = 0; i < dashes; i += 2) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--transport" -> transport = args[i + 1];
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        final List<String> command = Arrays.asList(args).subList(dashes + 1, args.length);
        final Transport tp = transport.equals("ttheader") ? Transport.TTHEADER_FRAMED : Transport.FRAMED;
        final List<Double> toListen = new ArrayList<>();
        final List<Double> toAnswer = new ArrayList<>();
        // One discarded run first: the page cache and this JVM's client warm up on it.
        for (int r = 0; r <= runs; r++) {
            final int p = port + r;
            final List<String> cmd = command.stream().map(s -> s.replace("{port}", Integer.toString(p))).toList();
            final Result res = once(cmd, p, tp);
            System.out.printf(Locale.ROOT, "%s run %d: port accepts %.1f ms, first call answered %.1f ms, VmRSS %s kB,"
                            + " classes loaded from class files %s, from the CDS archive %s%n", r == 0 ? "discarded" : "",
                    r, res.listenMs, res.answerMs, res.rssKb, res.classes, res.sharedClasses);
            if (r > 0) {
                toListen.add(res.listenMs);
                toAnswer.add(res.answerMs);
            }
        }
        System.out.printf(Locale.ROOT, "median of %d: port accepts %.1f ms, first call answered %.1f ms (range %.1f-%.1f)"
                        + "; command: %s%n", runs, median(toListen), median(toAnswer),
                toAnswer.stream().mapToDouble(d -> d).min().orElse(0),
                toAnswer.stream().mapToDouble(d -> d).max().orElse(0), String.join(" ", command));
        System.exit(0);
    }

    private record Result(double listenMs, double answerMs, String rssKb, String classes, String sharedClasses) {
    }

    private static Result once(List<String> cmd, int port, Transport tp) throws Exception {
        final long t0 = System.nanoTime();
        final Process proc = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long listened = 0;
            while (listened == 0) {
                if (!proc.isAlive()) {
                    throw new IllegalStateException("the server exited with " + proc.exitValue() + ": " + cmd);
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 100);
                    listened = System.nanoTime();
                } catch (IOException e) {
                    TimeUnit.MICROSECONDS.sleep(500);
                }
                if (System.nanoTime() - t0 > 60_000_000_000L) {
                    throw new IllegalStateException("the server did not listen on " + port + " within 60 s");
                }
            }
            long answered = 0;
            try (KitexClient client = KitexClient.builder().service("echo").addresses("127.0.0.1:" + port)
                    .transport(tp).rpcTimeout(Duration.ofSeconds(5)).avoidRefusedInstances(false).build()) {
                final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);
                while (answered == 0) {
                    try {
                        final Response r = stub.Echo(new Request("echo", "startup"));
                        if ("startup".equals(r.getMsg())) {
                            answered = System.nanoTime();
                        }
                    } catch (Exception e) {
                        TimeUnit.MICROSECONDS.sleep(500);
                    }
                }
            }
            final String rss = status(proc.pid(), "VmRSS");
            final String[] classes = classCounts(proc.pid());
            return new Result((listened - t0) / 1e6, (answered - t0) / 1e6, rss, classes[0], classes[1]);
        } finally {
            proc.destroy();
            if (!proc.waitFor(10, TimeUnit.SECONDS)) {
                proc.destroyForcibly().waitFor();
            }
        }
    }

    private static String status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim().replace(" kB", "");
            }
        }
        return "?";
    }

    /**
     * java.cls.loadedClasses (loaded from class files) and java.cls.sharedLoadedClasses (mapped from a CDS
     * archive) of a HotSpot process (jcmd PerfCounter.print).
     */
    private static String[] classCounts(long pid) {
        final String[] out = {"?", "?"};
        try {
            final Process jcmd = new ProcessBuilder("jcmd", Long.toString(pid), "PerfCounter.print")
                    .redirectErrorStream(true).start();
            final String text = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            jcmd.waitFor();
            for (String line : text.split("\n")) {
                if (line.startsWith("java.cls.loadedClasses=")) {
                    out[0] = line.substring(line.indexOf('=') + 1).trim();
                } else if (line.startsWith("java.cls.sharedLoadedClasses=")) {
                    out[1] = line.substring(line.indexOf('=') + 1).trim();
                }
            }
        } catch (IOException | InterruptedException e) {
            // Not a HotSpot process (or no jcmd): the counts stay unknown.
        }
        return out;
    }

    private static double median(List<Double> values) {
        final List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        final int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
