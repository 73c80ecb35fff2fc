package io.kitex4j.etcdlauncher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Generates a throw-away CA, a server certificate for etcd and a client certificate, as PEM files.
 *
 * <p>EC P-256 keys keep generation in the milliseconds. Only the certificate building uses BouncyCastle; keys and
 * signatures come from the JDK's own providers, so no security provider has to be installed.
 */
final class TestCertificates {

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    // Backdated so that a clock difference between the JVM and etcd cannot make the certificates "not yet valid".
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final Duration VALIDITY = Duration.ofDays(7);

    private static final SecureRandom random = new SecureRandom();

    /**
     * What etcd needs on top of what a client needs.
     */
    record Generated(TlsFiles clientFiles, Path serverCert, Path serverKey) {}

    static Generated generate(Path directory) {
        try {
            Files.createDirectories(directory);
            final Instant now = Instant.now();
            final Date notBefore = Date.from(now.minus(BACKDATE));
            final Date notAfter = Date.from(now.plus(VALIDITY));
            final JcaX509ExtensionUtils extensionUtils = new JcaX509ExtensionUtils();

            final KeyPair caKeys = newKeyPair();
            final X500Name caName = new X500Name("CN=kitex4j test CA,O=kitex4j");
            final X509v3CertificateBuilder ca =
                    new JcaX509v3CertificateBuilder(caName, newSerial(), notBefore, notAfter, caName,
                                                    caKeys.getPublic())
                            .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                            .addExtension(Extension.keyUsage, true,
                                          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                            .addExtension(Extension.subjectKeyIdentifier, false,
                                          extensionUtils.createSubjectKeyIdentifier(caKeys.getPublic()));
            final X509Certificate caCert = sign(ca, caKeys.getPrivate());

            final KeyPair serverKeys = newKeyPair();
            final GeneralNames serverNames = new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.dNSName, "etcd"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.iPAddress, "::1"),
            });
            // etcd 3.4's grpc-gateway dials its own TLS port presenting --cert-file as a client certificate,
            // so with --client-cert-auth the server certificate must also be valid for client authentication.
            final X509v3CertificateBuilder server =
                    leaf(caCert, caKeys, serverKeys.getPublic(), "CN=etcd,O=kitex4j", notBefore, notAfter,
                         extensionUtils, new KeyPurposeId[] {
                                 KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth })
                            .addExtension(Extension.subjectAlternativeName, false, serverNames);
            final X509Certificate serverCert = sign(server, caKeys.getPrivate());

            final KeyPair clientKeys = newKeyPair();
            final X509v3CertificateBuilder client =
                    leaf(caCert, caKeys, clientKeys.getPublic(), "CN=kitex4j-test-client,O=kitex4j", notBefore,
                         notAfter, extensionUtils, new KeyPurposeId[] { KeyPurposeId.id_kp_clientAuth });
            final X509Certificate clientCert = sign(client, caKeys.getPrivate());

            final TlsFiles clientFiles = new TlsFiles(
                    writeCertificate(directory.resolve("ca.pem"), caCert),
                    writeCertificate(directory.resolve("client.pem"), clientCert),
                    writePrivateKey(directory.resolve("client-key.pem"), clientKeys.getPrivate()));
            return new Generated(clientFiles,
                                 writeCertificate(directory.resolve("server.pem"), serverCert),
                                 writePrivateKey(directory.resolve("server-key.pem"), serverKeys.getPrivate()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write TLS files to " + directory, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("Cannot generate test certificates", e);
        }
    }

    private static X509v3CertificateBuilder leaf(X509Certificate caCert, KeyPair caKeys, PublicKey subjectKey,
                                                 String subject, Date notBefore, Date notAfter,
                                                 JcaX509ExtensionUtils extensionUtils,
                                                 KeyPurposeId[] purposes)
            throws CertIOException, GeneralSecurityException {
        return new JcaX509v3CertificateBuilder(caCert, newSerial(), notBefore, notAfter,
                                               new X500Name(subject), subjectKey)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
                .addExtension(Extension.subjectKeyIdentifier, false,
                              extensionUtils.createSubjectKeyIdentifier(subjectKey))
                .addExtension(Extension.authorityKeyIdentifier, false,
                              extensionUtils.createAuthorityKeyIdentifier(caKeys.getPublic()));
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        return generator.generateKeyPair();
    }

    private static BigInteger newSerial() {
        // Positive and at most 20 octets, as RFC 5280 requires; Go's x509 rejects negative serials.
        return new BigInteger(127, random).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(issuerKey)));
    }

    private static Path writeCertificate(Path file, X509Certificate certificate)
            throws IOException, CertificateEncodingException {
        return writePem(file, "CERTIFICATE", certificate.getEncoded());
    }

    private static Path writePrivateKey(Path file, PrivateKey key) throws IOException {
        // The JDK encodes private keys as PKCS#8, which is exactly the "PRIVATE KEY" PEM block Netty expects.
        return writePem(file, "PRIVATE KEY", key.getEncoded());
    }

    private static Path writePem(Path file, String type, byte[] der) throws IOException {
        final String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                  .encodeToString(der);
        final String pem = "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
        return Files.writeString(file, pem, StandardCharsets.US_ASCII);
    }

    private TestCertificates() {}
}
