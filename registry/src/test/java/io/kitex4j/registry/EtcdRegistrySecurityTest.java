package io.kitex4j.registry;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMode;
import io.kitex4j.etcdlauncher.TlsFiles;
import io.kitex4j.testing.EtcdExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Registration against etcd with username/password auth and with mutual TLS. */
class EtcdRegistrySecurityTest {

    @Nested
    class Auth {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.AUTH).build();

        @Test
        void registersWithCredentials() throws Exception {
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .credentials(ETCD.username(), ETCD.password()).build();
            try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config).env(n -> null).build();
                 Client probeClient = ETCD.newClient()) {
                final Registration r = registry.register(RegistrationInfo.of("authed", "10.0.4.1:1")).get(10, TimeUnit.SECONDS);
                new EtcdProbe(probeClient).assertInPlace(r);
                r.deregister().get(5, TimeUnit.SECONDS);
                assertThat(new EtcdProbe(probeClient).get(r.key())).isNull();
            }
        }

        @Test
        void wrongPasswordIsReportedAsARefusalNotAsUnreachable() throws Exception {
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .credentials(ETCD.username(), "wrong-" + ETCD.password()).build();
            try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config).env(n -> null).build()) {
                assertThatThrownBy(() -> registry.register(RegistrationInfo.of("authed", "10.0.4.2:1")).get(10, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(RegistrationException.class)
                        .hasMessageStartingWith("cannot register kitex/registry-etcd/authed/10.0.4.2:1: etcd at "
                                                + ETCD.endpoints().get(0) + ": authentication failed")
                        .cause().isInstanceOf(EtcdAccessException.class);
            }
        }
    }

    @Nested
    class Tls {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.TLS).build();

        @Test
        void registersOverMutualTls() throws Exception {
            final TlsFiles tls = ETCD.tls();
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .tls(tls.caCert(), tls.clientCert(), tls.clientKey()).build();
            assertThat(config.isTls()).isTrue();
            try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config).env(n -> null).build();
                 Client probeClient = ETCD.newClient()) {
                final Registration r = registry.register(RegistrationInfo.of("secure", "10.0.4.3:1")).get(10, TimeUnit.SECONDS);
                new EtcdProbe(probeClient).assertInPlace(r);
            }
        }

        @Test
        void aTlsFileThatDoesNotLoadFailsTheBuildInsteadOfFallingBackToPlaintext(@TempDir Path dir) throws Exception {
            final TlsFiles tls = ETCD.tls();
            final Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");
            assertThatThrownBy(() -> EtcdRegistry.builder().etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .tls(garbage, tls.clientCert(), tls.clientKey()).build()).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("caCert").hasMessageContaining(garbage.toString());
            final Path missing = dir.resolve("missing-key.pem");
            assertThatThrownBy(() -> EtcdRegistry.builder().etcd(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .tls(tls.caCert(), tls.clientCert(), missing).build()).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("clientKey: cannot read " + missing);
        }

        @Test
        void withoutTheClientCertificateEtcdRefuses() throws Exception {
            final EtcdClientConfig config = EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .tls(ETCD.tls().caCert()).dialTimeout(Duration.ofSeconds(3)).build();
            // The refusal shows as "no answer" (the handshake's cause is lost), which is retried until
            // the start-up timeout: keep that short here.
            try (EtcdRegistry registry = EtcdRegistry.builder().etcd(config).env(n -> null)
                    .startupTimeout(Duration.ofSeconds(3)).build()) {
                assertThatThrownBy(() -> registry.register(RegistrationInfo.of("secure", "10.0.4.4:1")).get(10, TimeUnit.SECONDS))
                        .cause().isInstanceOf(RegistrationException.class)
                        .hasMessageContaining("etcd at " + ETCD.endpoints().get(0) + ": etcd requires a client certificate");
            }
        }
    }
}
