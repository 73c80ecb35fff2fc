package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.etcdlauncher.EtcdMode;
import io.kitex4j.etcdlauncher.TlsFiles;
import io.kitex4j.testing.EtcdExtension;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An etcd the CLI cannot use is reported in one line on stderr that names the endpoint and the
 * cause, with exit status 2, within the dial timeout (5 s by default): not as "no answer".
 */
class CliEtcdErrorTest {

    /** The dial timeout and scheduling slack: generous, this is not a performance test. */
    private static final long BOUND_MS = 5_000 + 2_000;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Kitex4jCli.run(args, new PrintWriter(err, true));
    }

    /** Runs the command in-process and returns its one stderr line, checking status and time. */
    private String failsInOneLine(String... args) {
        final long start = System.nanoTime();
        assertThat(run(args)).isEqualTo(Kitex4jCli.EXIT_FAILURE);
        final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("%s failed after %d ms: %s", args[0], ms, err);
        assertThat(ms).isLessThanOrEqualTo(BOUND_MS);
        assertThat(err.toString().lines()).hasSize(1);
        return err.toString().strip();
    }

    @Nested
    class Tls {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.TLS).build();

        @Test
        void lsWithTheWrongCa(@TempDir Path dir) {
            final TlsFiles tls = ETCD.tls();
            final TlsFiles other = TlsFiles.generateUnrelated(dir);
            final String line = failsInOneLine("ls", "--etcd", ETCD.endpoints().get(0), "--cacert",
                    other.caCert().toString(), "--cert", tls.clientCert().toString(), "--key", tls.clientKey().toString());
            assertThat(line).startsWith("kitex4j: etcd at " + ETCD.endpoints().get(0) + ": TLS: ")
                    .contains("certificate is not trusted");
        }

        @Test
        void lsWithoutAClientCertificate() {
            final String line = failsInOneLine("ls", "--etcd", ETCD.endpoints().get(0), "--cacert",
                    ETCD.tls().caCert().toString());
            assertThat(line).startsWith("kitex4j: etcd at " + ETCD.endpoints().get(0) + ": ")
                    .contains("requires a client certificate");
        }

        @Test
        void watchInPlaintextToTheTlsPort() {
            final String plain = ETCD.endpoints().get(0).replace("https://", "http://");
            final String line = failsInOneLine("watch", "--etcd", plain, "svc");
            assertThat(line).startsWith("kitex4j: etcd at " + plain + ": ").contains("serves TLS");
        }

        @Test
        void registerWithTheWrongCaPrintsOneLineAndExits2(@TempDir Path dir) throws Exception {
            // A child JVM: everything it prints on stderr counts, library logs included.
            final TlsFiles tls = ETCD.tls();
            final TlsFiles other = TlsFiles.generateUnrelated(dir);
            final File stderr = dir.resolve("stderr").toFile();
            final List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Kitex4jCli.class.getName(),
                    "register", "--etcd", ETCD.endpoints().get(0), "--service", "cli.err", "--addr", "10.1.9.1:1",
                    "--cacert", other.caCert().toString(), "--cert", tls.clientCert().toString(),
                    "--key", tls.clientKey().toString()));
            final long start = System.nanoTime();
            final Process p = new ProcessBuilder(command).redirectError(stderr).start();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .pollInterval(java.time.Duration.ofMillis(50)).until(() -> stderr.length() > 0 || !p.isAlive());
            System.out.printf("first stderr output after %d ms%n",
                              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            final List<String> lines = Files.readAllLines(stderr.toPath());
            System.out.printf("register failed after %d ms (JVM start included): %s%n", ms, lines);
            assertThat(p.exitValue()).isEqualTo(Kitex4jCli.EXIT_FAILURE);
            assertThat(lines).singleElement().asString()
                    .startsWith("kitex4j: cannot register cli.err at 10.1.9.1:1: etcd at " + ETCD.endpoints().get(0)
                                + ": TLS: ")
                    .contains("certificate is not trusted")
                    .doesNotContain("re-registering").doesNotContain("lease none");
            assertThat(new String(p.getInputStream().readAllBytes())).isEmpty();
        }
    }

    @Nested
    class Auth {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.AUTH).build();

        @Test
        void lsWithAWrongPassword() {
            final String line = failsInOneLine("ls", "--etcd", ETCD.endpoints().get(0), "--user", ETCD.username(),
                    "--password", "wrong-" + ETCD.password(), "svc");
            assertThat(line).startsWith("kitex4j: etcd at " + ETCD.endpoints().get(0) + ": authentication failed");
        }
    }
}
