package io.kitex4j.testing;

import static io.kitex4j.testing.EtcdTestSupport.get;
import static io.kitex4j.testing.EtcdTestSupport.put;
import static io.kitex4j.testing.EtcdTestSupport.uniqueKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.etcd.jetcd.Client;
import io.grpc.netty.GrpcSslContexts;
import io.kitex4j.etcdlauncher.EtcdMode;
import io.kitex4j.etcdlauncher.TlsFiles;

class TlsModeTest {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().mode(EtcdMode.TLS).build();

    @Test
    void exposesHttpsEndpointsAndPemFiles() throws Exception {
        assertThat(etcd.mode()).isEqualTo(EtcdMode.TLS);
        assertThat(etcd.endpoints()).singleElement().asString().matches("https://127\\.0\\.0\\.1:\\d+");
        assertThat(etcd.username()).isNull();
        final TlsFiles tls = etcd.tls();
        assertThat(tls).isNotNull();
        assertThat(Files.readString(tls.caCert(), StandardCharsets.US_ASCII))
                .startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(tls.clientCert(), StandardCharsets.US_ASCII))
                .startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(tls.clientKey(), StandardCharsets.US_ASCII))
                .startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void clientFromTheExtensionWorks() throws Exception {
        final String key = uniqueKey("tls");
        try (Client client = etcd.newClient()) {
            put(client, key, "encrypted");
            assertThat(get(client, key)).isEqualTo("encrypted");
        }
    }

    /**
     * Documents which authorities work: the server certificate has DNS SANs localhost and etcd besides the IPs.
     */
    @ParameterizedTest
    @ValueSource(strings = { "localhost", "etcd" })
    void clientBuiltFromThePemFilesWorksWithAnExplicitAuthority(String authority) throws Exception {
        final TlsFiles tls = etcd.tls();
        final String key = uniqueKey("tls-authority");
        try (Client client = Client.builder()
                                   .endpoints(etcd.endpoints().toArray(String[]::new))
                                   .authority(authority)
                                   .sslContext(GrpcSslContexts.forClient()
                                                              .trustManager(tls.caCert().toFile())
                                                              .keyManager(tls.clientCert().toFile(),
                                                                          tls.clientKey().toFile())
                                                              .build())
                                   .build()) {
            put(client, key, authority);
            assertThat(get(client, key)).isEqualTo(authority);
        }
    }

    @Test
    void plaintextClientIsRefused() {
        try (Client plaintext = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            assertRefused(plaintext);
        }
    }

    @Test
    void clientWithoutAClientCertificateIsRefused() throws Exception {
        try (Client noClientCert = Client.builder()
                                         .endpoints(etcd.endpoints().toArray(String[]::new))
                                         .sslContext(GrpcSslContexts.forClient()
                                                                    .trustManager(etcd.tls().caCert().toFile())
                                                                    .build())
                                         .build()) {
            assertRefused(noClientCert);
        }
    }

    private static void assertRefused(Client client) {
        // jetcd waits for a ready connection by default, so a refused handshake shows up as a timeout rather
        // than as an error; either way the request must not succeed.
        assertThatThrownBy(() -> client.getKVClient().put(EtcdTestSupport.bytes(uniqueKey("refused")),
                                                          EtcdTestSupport.bytes("x"))
                                       .get(2, TimeUnit.SECONDS))
                .isInstanceOfAny(ExecutionException.class, TimeoutException.class);
    }
}
