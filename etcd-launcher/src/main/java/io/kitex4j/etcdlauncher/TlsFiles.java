package io.kitex4j.etcdlauncher;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * PEM files a client needs to talk to an etcd cluster started in {@link EtcdMode#TLS} mode.
 *
 * <p>The private key is written in PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), so Netty's
 * {@code SslContextBuilder.keyManager(File, File)} and {@code io.grpc.netty.GrpcSslContexts} load it without
 * BouncyCastle on the class path. The server certificate is valid for {@code DNS:localhost}, {@code DNS:etcd},
 * {@code IP:127.0.0.1} and {@code IP:::1}.
 *
 * @param caCert the certificate of the CA that signed both the server and the client certificate
 * @param clientCert the client certificate, signed by {@code caCert}
 * @param clientKey the PKCS#8 private key of {@code clientCert}
 */
public record TlsFiles(Path caCert, Path clientCert, Path clientKey) {

    /**
     * Creates a new instance.
     *
     * @throws NullPointerException if any of the paths is {@code null}
     */
    public TlsFiles {
        requireNonNull(caCert, "caCert");
        requireNonNull(clientCert, "clientCert");
        requireNonNull(clientKey, "clientKey");
    }

    /**
     * Generates a fresh CA with a client certificate signed by it, unrelated to any cluster: a client
     * trusting this {@code caCert} does not trust an etcd started in {@link EtcdMode#TLS} mode, and
     * such an etcd rejects this {@code clientCert}. For tests of TLS errors.
     *
     * @param directory where to write {@code ca.pem}, {@code client.pem} and {@code client-key.pem}
     */
    public static TlsFiles generateUnrelated(Path directory) {
        return TestCertificates.generate(requireNonNull(directory, "directory")).clientFiles();
    }
}
