package io.kitex4j.testing;

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
}
