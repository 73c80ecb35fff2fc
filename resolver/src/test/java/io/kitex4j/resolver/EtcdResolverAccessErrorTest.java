package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ServiceWatch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.kitex4j.etcdlauncher.EtcdMode;
import io.kitex4j.etcdlauncher.TlsFiles;
import io.kitex4j.registry.EtcdAccessException;
import io.kitex4j.registry.EtcdAccessException.Kind;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import io.kitex4j.resolver.ResolverTestSupport.LogCapture;
import io.kitex4j.testing.EtcdExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resolver that cannot read etcd says why: its view turns UNREACHABLE with an
 * {@link EtcdAccessException} of the right kind as {@code lastError()}, and one WARN line names the
 * endpoint and the cause, within the call timeout plus the dial timeout.
 */
class EtcdResolverAccessErrorTest {

    /** Call timeout (3 s) plus dial timeout (5 s) plus slack: generous. */
    private static final Duration BOUND = Duration.ofSeconds(10);

    private static EtcdAccessException unreachableWith(EtcdClientConfig config, Kind kind) throws Exception {
        try (LogCapture log = new LogCapture(); EtcdResolver resolver = EtcdResolver.builder().etcd(config).build()) {
            final ServiceWatch watch = resolver.watch("access.svc");
            await().atMost(BOUND).pollInterval(Duration.ofMillis(50)).until(() ->
                    watch.snapshot().state() == State.UNREACHABLE
                    && watch.snapshot().lastError() instanceof EtcdAccessException);
            final EtcdAccessException e = (EtcdAccessException) watch.snapshot().lastError();
            assertThat(e.kind()).isEqualTo(kind);
            await().atMost(BOUND).until(() -> !log.messages(Level.WARN).isEmpty());
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .startsWith("etcd cannot be read for service access.svc").contains(e.getMessage())
                    .doesNotContain("\n");
            return e;
        }
    }

    @Nested
    class Tls {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.TLS).build();

        @Test
        void wrongCa(@TempDir Path dir) throws Exception {
            final TlsFiles tls = ETCD.tls();
            final TlsFiles other = TlsFiles.generateUnrelated(dir);
            final EtcdAccessException e = unreachableWith(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .tls(other.caCert(), tls.clientCert(), tls.clientKey()).build(), Kind.CERTIFICATE_NOT_TRUSTED);
            assertThat(e.endpoint()).isEqualTo(ETCD.endpoints().get(0));
        }

        @Test
        void noClientCertificate() throws Exception {
            unreachableWith(EtcdClientConfig.builder().endpoints(ETCD.endpoints()).tls(ETCD.tls().caCert()).build(),
                            Kind.CLIENT_CERTIFICATE_REQUIRED);
        }
    }

    @Nested
    class Auth {
        @RegisterExtension
        static final EtcdExtension ETCD = EtcdExtension.builder().mode(EtcdMode.AUTH).build();

        @Test
        void wrongPassword() throws Exception {
            unreachableWith(EtcdClientConfig.builder().endpoints(ETCD.endpoints())
                    .credentials(ETCD.username(), "wrong-" + ETCD.password()).build(), Kind.AUTHENTICATION_FAILED);
        }
    }
}
