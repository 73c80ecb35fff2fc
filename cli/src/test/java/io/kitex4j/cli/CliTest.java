package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.testing.EtcdExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The CLI against a real etcd: output formats, exit statuses, one-line errors. */
class CliTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final StringWriter err = new StringWriter();
    private PrintStream savedOut;

    @BeforeEach
    void captureStdout() {
        savedOut = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStdout() {
        System.setOut(savedOut);
    }

    private int run(String... args) {
        return Kitex4jCli.run(args, new PrintWriter(err, true));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void put(String key, String value) throws Exception {
        try (Client c = ETCD.newClient()) {
            c.getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                    ByteSequence.from(value, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void lsPrintsGoWrittenInstancesAsJsonLines() throws Exception {
        put("kitex/registry-etcd/cli.ls/10.0.0.5:8888",
                "{\"network\":\"tcp\",\"address\":\"10.0.0.5:8888\",\"weight\":10,\"tags\":null}");
        put("kitex/registry-etcd/cli.ls/10.0.0.6:8888",
                "{\"network\":\"tcp\",\"address\":\"10.0.0.6:8888\",\"weight\":3,\"tags\":{\"zone\":\"a\\u0026b\"}}");
        put("kitex/registry-etcd/cli.ls2/10.0.0.7:8888",
                "{\"network\":\"tcp\",\"address\":\"10.0.0.7:8888\",\"weight\":1,\"tags\":null}");

        assertThat(run("ls", "--etcd", String.join(",", ETCD.endpoints()), "--json", "cli.ls")).isZero();

        assertThat(stdout().lines()).containsExactly(
                "{\"service\":\"cli.ls\",\"network\":\"tcp\",\"address\":\"10.0.0.5:8888\",\"weight\":10,\"tags\":null}",
                "{\"service\":\"cli.ls\",\"network\":\"tcp\",\"address\":\"10.0.0.6:8888\",\"weight\":3,\"tags\":{\"zone\":\"a&b\"}}");
    }

    @Test
    void lsWithoutServiceListsEveryServiceAndSkipsBadValuesNamingTheKey() throws Exception {
        put("custom/p/svc.a/1.1.1.1:1", "{\"network\":\"tcp\",\"address\":\"1.1.1.1:1\",\"weight\":10,\"tags\":null}");
        put("custom/p/svc.b/2.2.2.2:2", "{\"network\":\"tcp\",\"address\":\"2.2.2.2:2\",\"weight\":7.0,\"tags\":null}");
        put("custom/p/svc.c/3.3.3.3:3", "{\"network\":\"tcp\",\"address\":\"3.3.3.3:3\",\"weight\":2,\"tags\":null}");

        final PrintStream savedErr = System.err;
        final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(run("ls", "--etcd", ETCD.endpoints().get(0), "--prefix", "custom/p")).isZero();
        } finally {
            System.setErr(savedErr);
        }
        assertThat(stdout().lines()).containsExactly(
                "svc.a\t1.1.1.1:1\tweight=10",
                "svc.c\t3.3.3.3:3\tweight=2");
        assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("custom/p/svc.b/2.2.2.2:2").contains("weight");
    }

    @Test
    void unknownFlagIsOneLineAndStatus2() {
        assertThat(run("ls", "--etcd", ETCD.endpoints().get(0), "--bogus")).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(1).first().asString().startsWith("kitex4j: ").contains("--bogus");
    }

    @Test
    void missingEtcdIsOneLineAndStatus2() {
        assertThat(run("ls")).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly("kitex4j: --etcd is required");
    }

    @Test
    void unreachableEtcdIsOneLineAndStatus2() throws Exception {
        final int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        final long start = System.nanoTime();
        assertThat(run("ls", "--etcd", "127.0.0.1:" + deadPort, "--dial-timeout", "1", "svc")).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(1).first().asString()
                .startsWith("kitex4j: etcd at http://127.0.0.1:" + deadPort + " is unreachable: ")
                .contains("cannot connect");
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(15);
    }

    @Test
    void tlsFileThatDoesNotLoadIsAnErrorNotAFallback() {
        assertThat(run("ls", "--etcd", ETCD.endpoints().get(0), "--cacert", "/nonexistent/ca.pem")).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(1).first().asString().contains("/nonexistent/ca.pem");
    }

    @Test
    void serviceNameWithSlashIsRefused() {
        assertThat(run("ls", "--etcd", ETCD.endpoints().get(0), "a/b")).isEqualTo(2);
        assertThat(err.toString()).contains("must not contain '/'");
    }

    @Test
    void registerFailsWithOneLineWhenEtcdIsUnreachable() throws Exception {
        final int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        assertThat(run("register", "--etcd", "127.0.0.1:" + deadPort, "--dial-timeout", "1",
                "--service", "svc", "--addr", "127.0.0.1:1", "--startup-timeout", "2")).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(1).first().asString().startsWith("kitex4j: cannot register svc")
                .endsWith("(retried for the start-up timeout of 2 s, see --startup-timeout)");
    }

    @Test
    void startupTimeoutMustBePositive() {
        assertThat(run("register", "--etcd", ETCD.endpoints().get(0), "--service", "svc", "--addr", "127.0.0.1:1",
                "--startup-timeout", "0")).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly("kitex4j: --startup-timeout: 0 (expected: > 0)");
    }

    @Test
    void demoRunsEndToEndAndNoCallFailsDuringTheGracefulShutdown() {
        assertThat(run("demo")).as("stderr: %s", err).isZero();
        assertThat(stdout())
                .contains("| discover   | java client | etcd")
                .contains("metainfo demo-step=call trace-id=t-42")
                .contains("0 of 200 concurrent calls failed")
                .contains("1 instance left")
                .contains("demo finished in")
                .contains("| go peer    | -           | -      |           | skipped: no --go-bin given");
    }
}
