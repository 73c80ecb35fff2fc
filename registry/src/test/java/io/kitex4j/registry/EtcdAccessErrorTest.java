package io.kitex4j.registry;

import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationInfo;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMode;
import io.kitex4j.etcdlauncher.TlsFiles;
import io.kitex4j.registry.EtcdAccessException.Kind;
import io.kitex4j.testing.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way of failing to reach etcd that a configuration change must fix is reported by register()
 * as an {@link EtcdAccessException} of its kind, naming the endpoint and the cause in one line,
 * within the dial timeout: not as "no answer".
 */
class EtcdAccessErrorTest {

    private static final Duration DIAL_TIMEOUT = Duration.ofSeconds(5);
    /** Generous: the cause must arrive within the dial timeout, plus scheduling slack on a busy machine. */
    private static final Duration BOUND = DIAL_TIMEOUT.plusMillis(1500);

    /**
     * register()'s failure, checked to be one line, within the bound, with an EtcdAccessException as cause.
     * The start-up timeout is far past the bound, so a permanent cause must fail the future at once.
     */
    private static EtcdAccessException registerFails(EtcdClientConfig.Builder config, String address) throws Exception {
        return registerFails(config, address, Duration.ofSeconds(25));
    }

    private static EtcdAccessException registerFails(EtcdClientConfig.Builder config, String address,
                                                     Duration startupTimeout) throws Exception {
        try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config.dialTimeout(DIAL_TIMEOUT).build())
                .startupTimeout(startupTimeout).env(n -> null).build()) {
            final long start = System.nanoTime();
            final ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> registry.register(RegistrationInfo.of("access", address)).get(30, TimeUnit.SECONDS));
            final long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("register() failed after %d ms: %s%n", ms, e.getCause().getMessage());
            assertThat(ms).isLessThanOrEqualTo(BOUND.toMillis());
            assertThat(e.getCause()).isInstanceOf(RegistrationException.class);
            assertThat(e.getCause().getMessage()).doesNotContain("\n").startsWith("cannot register kitex/registry-etcd/access/");
            assertThat(e.getCause().getCause()).isInstanceOf(EtcdAccessException.class);
            final EtcdAccessException access = (EtcdAccessException) e.getCause().getCause();
            assertThat(e.getCause().getMessage()).contains(access.getMessage());
            assertThat(access.getMessage()).doesNotContain("\n").startsWith("etcd at " + access.endpoint() + ": ");
            assertThat(EtcdAccessException.isPermanent(e)).isEqualTo(access.isPermanent());
            return access;
        }
    }

    @Nested
    class Tls {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.TLS).build();

        private EtcdClientConfig.Builder config() {
            return EtcdClientConfig.builder().endpoints(ETCD.endpoints());
        }

        @Test
        void aCaThatDidNotSignEtcdsCertificate(@TempDir Path dir) throws Exception {
            final TlsFiles tls = ETCD.tls();
            final TlsFiles other = TlsFiles.generateUnrelated(dir);
            final EtcdAccessException e = registerFails(
                    config().tls(other.caCert(), tls.clientCert(), tls.clientKey()), "10.0.8.1:1");
            assertThat(e.kind()).isEqualTo(Kind.CERTIFICATE_NOT_TRUSTED);
            assertThat(e.isPermanent()).isTrue();
            assertThat(e.endpoint()).isEqualTo(ETCD.endpoints().get(0));
            assertThat(e.getMessage()).contains("certificate is not trusted");
        }

        @Test
        void noCaFileTrustsOnlyTheJvmsCas() throws Exception {
            // https:// without --cacert: the JVM's default CAs, which did not sign etcd's certificate.
            final EtcdAccessException e = registerFails(config(), "10.0.8.2:1");
            assertThat(e.kind()).isEqualTo(Kind.CERTIFICATE_NOT_TRUSTED);
            assertThat(e.getMessage()).contains(ETCD.endpoints().get(0)).contains("not trusted");
        }

        @Test
        void aCertificateForAnotherHost() throws Exception {
            final TlsFiles tls = ETCD.tls();
            // etcd's certificate names localhost, etcd, 127.0.0.1 and ::1; checking it against another name fails.
            final EtcdAccessException e = registerFails(
                    config().tls(tls.caCert(), tls.clientCert(), tls.clientKey()).authority("wrong.example"),
                    "10.0.8.3:1");
            assertThat(e.kind()).isEqualTo(Kind.HOSTNAME_MISMATCH);
            assertThat(e.getMessage()).contains("wrong.example").contains("not valid for the name");
        }

        @Test
        void noClientCertificate() throws Exception {
            final EtcdAccessException e = registerFails(config().tls(ETCD.tls().caCert()), "10.0.8.4:1");
            assertThat(e.kind()).isEqualTo(Kind.CLIENT_CERTIFICATE_REQUIRED);
            assertThat(e.getMessage()).contains("requires a client certificate");
        }

        @Test
        void aClientCertificateEtcdDoesNotTrust(@TempDir Path dir) throws Exception {
            final TlsFiles other = TlsFiles.generateUnrelated(dir);
            final EtcdAccessException e = registerFails(
                    config().tls(ETCD.tls().caCert(), other.clientCert(), other.clientKey()), "10.0.8.5:1");
            assertThat(e.kind()).isEqualTo(Kind.CLIENT_CERTIFICATE_REQUIRED);
            assertThat(e.getMessage()).contains("rejected the client certificate");
        }

        @Test
        void plaintextToTheTlsPort() throws Exception {
            final String plain = ETCD.endpoints().get(0).replace("https://", "http://");
            final EtcdAccessException e = registerFails(EtcdClientConfig.builder().endpoints(plain), "10.0.8.6:1");
            assertThat(e.kind()).isEqualTo(Kind.PLAINTEXT_TO_TLS_PORT);
            assertThat(e.endpoint()).isEqualTo(plain);
            assertThat(e.getMessage()).contains("serves TLS").contains("https://");
        }
    }

    @Nested
    class Plain {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.single();

        @Test
        void tlsToThePlaintextPort(@TempDir Path dir) throws Exception {
            final String secure = ETCD.endpoints().get(0).replace("http://", "https://");
            final TlsFiles some = TlsFiles.generateUnrelated(dir);
            final EtcdAccessException e = registerFails(
                    EtcdClientConfig.builder().endpoints(secure).tls(some.caCert()), "10.0.8.7:1");
            assertThat(e.kind()).isEqualTo(Kind.TLS_TO_PLAINTEXT_PORT);
            assertThat(e.endpoint()).isEqualTo(secure);
            assertThat(e.getMessage()).contains("serves plaintext").contains("http://");
        }

        @Test
        void aPortNobodyListensOnIsTransient() throws Exception {
            final int dead;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                dead = s.getLocalPort();
            }
            // A transient cause is retried until the start-up timeout, then reported with its diagnosis.
            final EtcdAccessException e = registerFails(
                    EtcdClientConfig.builder().endpoints("http://127.0.0.1:" + dead), "10.0.8.8:1", DIAL_TIMEOUT);
            assertThat(e.kind()).isEqualTo(Kind.UNREACHABLE);
            assertThat(e.isPermanent()).isFalse();
            assertThat(e.getMessage()).contains("127.0.0.1:" + dead).contains("cannot connect");
        }
    }

    @Nested
    class Auth {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.AUTH).build();

        private EtcdClientConfig.Builder config() {
            return EtcdClientConfig.builder().endpoints(ETCD.endpoints());
        }

        @Test
        void aWrongPassword() throws Exception {
            final EtcdAccessException e = registerFails(
                    config().credentials(ETCD.username(), "wrong-" + ETCD.password()), "10.0.8.9:1");
            assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION_FAILED);
            assertThat(e.isPermanent()).isTrue();
            assertThat(e.getMessage()).contains("authentication failed").doesNotContain(ETCD.password());
        }

        @Test
        void anUnknownUser() throws Exception {
            final EtcdAccessException e = registerFails(config().credentials("nobody", "secret"), "10.0.8.10:1");
            assertThat(e.kind()).isEqualTo(Kind.AUTHENTICATION_FAILED);
        }

        @Test
        void aUserWithoutARoleOnThePrefix() throws Exception {
            try (Client root = ETCD.newClient()) {
                root.getAuthClient().userAdd(bytes("norole"), bytes("norole-pw")).get(10, TimeUnit.SECONDS);
            }
            final EtcdAccessException e = registerFails(config().credentials("norole", "norole-pw"), "10.0.8.11:1");
            assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
            assertThat(e.isPermanent()).isTrue();
            assertThat(e.getMessage()).contains("permission denied");
        }

        private static ByteSequence bytes(String s) {
            return ByteSequence.from(s, StandardCharsets.UTF_8);
        }
    }
}
