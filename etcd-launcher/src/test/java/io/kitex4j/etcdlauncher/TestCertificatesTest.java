package io.kitex4j.etcdlauncher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.grpc.netty.GrpcSslContexts;

class TestCertificatesTest {

    @Test
    void serverCertificateCoversLoopbackNamesAndBothPurposes(@TempDir Path directory) throws Exception {
        final TestCertificates.Generated generated = TestCertificates.generate(directory);
        final X509Certificate ca = read(generated.clientFiles().caCert());
        final X509Certificate server = read(generated.serverCert());
        final X509Certificate client = read(generated.clientFiles().clientCert());

        server.verify(ca.getPublicKey());
        client.verify(ca.getPublicKey());
        ca.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(server.getBasicConstraints()).isEqualTo(-1);

        final List<String> sans = server.getSubjectAlternativeNames().stream()
                                        .map(san -> String.valueOf(san.get(1)))
                                        .collect(Collectors.toList());
        assertThat(sans).containsExactlyInAnyOrder("localhost", "etcd", "127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(server.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    }

    @Test
    void keysArePkcs8AndLoadableByNetty(@TempDir Path directory) throws Exception {
        final TestCertificates.Generated generated = TestCertificates.generate(directory);
        assertThat(Files.readString(generated.clientFiles().clientKey())).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(generated.serverKey())).startsWith("-----BEGIN PRIVATE KEY-----");

        final TlsFiles files = generated.clientFiles();
        assertThat(GrpcSslContexts.forClient()
                                  .trustManager(files.caCert().toFile())
                                  .keyManager(files.clientCert().toFile(), files.clientKey().toFile())
                                  .build()
                                  .isClient()).isTrue();
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            final Collection<? extends java.security.cert.Certificate> certificates =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            assertThat(certificates).hasSize(1);
            return (X509Certificate) certificates.iterator().next();
        }
    }
}
