package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.Metainfo;
import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.server.KitexServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kitex4j call --retry/--backup-ms} end to end against a real kitex4j server over TTHeader: the
 * retried attempt arrives marked {@code RetryReq}, as Kitex marks it.
 */
class CallRetryTest {

    /** Stalls the first {@code stalled} calls 1.5 s (the CLI times out at 400 ms), answers the rest at once; records RetryReq per call. */
    static final class StallingEcho implements EchoServer.Iface {
        final AtomicInteger calls = new AtomicInteger();
        final List<String> retryReqs = new CopyOnWriteArrayList<>();
        final int stalled;

        StallingEcho(int stalled) {
            this.stalled = stalled;
        }

        @Override
        public Response Echo(Request req) {
            final int n = calls.incrementAndGet();
            final String marker = Metainfo.current().persistentValue("RetryReq");
            retryReqs.add(marker == null ? "" : marker);
            if (n <= stalled) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new Response(req.getAction(), "call " + n);
        }

        @Override
        public ComplexResponse EchoComplex(ComplexRequest req) {
            throw new UnsupportedOperationException();
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final StringWriter err = new StringWriter();
    private PrintStream savedOut;
    private KitexServer server;

    @BeforeEach
    void captureStdout() {
        savedOut = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        if (server != null) {
            server.close();
        }
    }

    private StallingEcho serve(int stalled) {
        final StallingEcho echo = new StallingEcho(stalled);
        server = KitexServer.builder().address("127.0.0.1", 0).service(EchoServer.class, echo)
                .shutdownHook(false).build();
        server.start().join();
        return echo;
    }

    private int call(String... extra) {
        final String[] base = {"call", "--addr", "127.0.0.1:" + server.localAddress().getPort(),
                "--transport", "ttheader", "--timeout", "400"};
        final String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Kitex4jCli.run(args, new PrintWriter(err, true));
    }

    @Test
    void failureRetryResendsATimedOutCallMarkedRetryReq() {
        final StallingEcho echo = serve(1);
        assertThat(call("--retry", "2")).as(() -> err + out.toString(StandardCharsets.UTF_8) + echo.retryReqs).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("msg=call 2");
        assertThat(echo.retryReqs).containsExactly("", "1");
    }

    @Test
    void withoutRetryTheSameStallIsATimeout() {
        final StallingEcho echo = serve(1);
        assertThat(call()).isNotZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("rpc timeout");
        assertThat(echo.calls.get()).isEqualTo(1);
    }

    @Test
    void backupRequestAnswersBeforeTheSlowOriginal() {
        final StallingEcho echo = serve(1);
        assertThat(call("--backup-ms", "50")).as(err.toString()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("msg=call 2");
        assertThat(echo.retryReqs).containsExactly("", "1");
    }

    @Test
    void retryOutOfKitexBoundsIsAUsageError() {
        serve(0);
        assertThat(call("--retry", "6")).isEqualTo(2);
        assertThat(err.toString()).contains("--retry").contains("6");
    }
}
