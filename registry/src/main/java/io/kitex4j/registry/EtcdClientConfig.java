package io.kitex4j.registry;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How to reach etcd: endpoints, credentials, TLS and timeouts. Shared by the registry, the resolver
 * and the CLI, so that each option is parsed and checked in one place.
 *
 * <p>Built objects are immutable. Everything that can be wrong is found by {@link Builder#build()}:
 * a malformed endpoint, a user without a password, or a TLS file that does not load. Unlike Go's
 * registry-etcd, whose {@code WithTLSOpt} logs an error and carries on in plaintext, a TLS file
 * that fails to load is always an {@link IllegalArgumentException} naming the file.
 *
 * <pre>{@code
 * EtcdClientConfig etcd = EtcdClientConfig.builder()
 *         .endpoints("https://10.0.0.1:2379", "https://10.0.0.2:2379")
 *         .credentials("svc", "secret")
 *         .tls(Path.of("ca.pem"), Path.of("client.pem"), Path.of("client-key.pem"))
 *         .build();
 * }</pre>
 */
public final class EtcdClientConfig {

    /** Default time to establish a connection to etcd. */
    public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(5);

    /** Default limit for one etcd call, as registry-etcd's 3-second contexts. */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(3);

    private final List<URI> endpoints;
    private final String username;
    private final String password;
    private final SslContext sslContext;
    private final Path caCert;
    private final Path clientCert;
    private final Path clientKey;
    private final String authority;
    private final Duration dialTimeout;
    private final Duration callTimeout;

    private EtcdClientConfig(Builder b, List<URI> endpoints, SslContext sslContext) {
        this.endpoints = List.copyOf(endpoints);
        this.username = b.username;
        this.password = b.password;
        this.sslContext = sslContext;
        this.caCert = b.caCert;
        this.clientCert = b.clientCert;
        this.clientKey = b.clientKey;
        this.authority = b.authority;
        this.dialTimeout = b.dialTimeout;
        this.callTimeout = b.callTimeout;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A config for plaintext endpoints with default timeouts. */
    public static EtcdClientConfig of(String... endpoints) {
        return builder().endpoints(endpoints).build();
    }

    /** A builder that starts from this config's values. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.endpoints.addAll(endpoints.stream().map(URI::toString).toList());
        b.username = username;
        b.password = password;
        b.caCert = caCert;
        b.clientCert = clientCert;
        b.clientKey = clientKey;
        b.tls = sslContext != null;
        b.authority = authority;
        b.dialTimeout = dialTimeout;
        b.callTimeout = callTimeout;
        return b;
    }

    /**
     * Opens a new jetcd client. The caller owns it and must close it. The client connects lazily;
     * calls made while etcd is unreachable fail after {@link #callTimeout()} when wrapped by the
     * caller, or after the dial timeout.
     */
    public Client newClient() {
        final ClientBuilder b = Client.builder()
                .endpoints(endpoints.toArray(URI[]::new))
                .connectTimeout(dialTimeout)
                // jetcd retries failed calls itself; bound that so our own timeouts and retry loops stay in charge.
                .retryMaxDuration(dialTimeout)
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5));
        if (username != null) {
            b.user(ByteSequence.from(username, StandardCharsets.UTF_8));
            b.password(ByteSequence.from(password, StandardCharsets.UTF_8));
        }
        if (sslContext != null) {
            b.sslContext(sslContext);
        }
        if (authority != null) {
            b.authority(authority);
        }
        return b.build();
    }

    /** The endpoints as URIs ({@code http://host:port} or {@code https://host:port}). */
    public List<URI> endpoints() {
        return endpoints;
    }

    /** The user name, or {@code null}. */
    public String username() {
        return username;
    }

    /** Whether the connection uses TLS. */
    public boolean isTls() {
        return sslContext != null;
    }

    /** The time allowed to connect. */
    public Duration dialTimeout() {
        return dialTimeout;
    }

    /** The time allowed for one etcd call. */
    public Duration callTimeout() {
        return callTimeout;
    }

    @Override
    public String toString() {
        return "EtcdClientConfig{endpoints=" + endpoints
                + (username != null ? ", user=" + username : "")
                + (sslContext != null ? ", tls" : "")
                + ", dialTimeout=" + dialTimeout + ", callTimeout=" + callTimeout + '}';
    }

    /** Builds an {@link EtcdClientConfig}; {@link #build()} checks every option. */
    public static final class Builder {
        private final List<String> endpoints = new ArrayList<>();
        private String username;
        private String password;
        private boolean tls;
        private Path caCert;
        private Path clientCert;
        private Path clientKey;
        private String authority;
        private Duration dialTimeout = DEFAULT_DIAL_TIMEOUT;
        private Duration callTimeout = DEFAULT_CALL_TIMEOUT;

        private Builder() {}

        /**
         * Adds endpoints: {@code http://host:port}, {@code https://host:port}, or {@code host:port}
         * (plaintext, or TLS when {@link #tls} is set). Several endpoints are members of one cluster.
         */
        public Builder endpoints(String... endpoints) {
            requireNonNull(endpoints, "endpoints");
            return endpoints(List.of(endpoints));
        }

        /** Adds endpoints; see {@link #endpoints(String...)}. */
        public Builder endpoints(List<String> endpoints) {
            requireNonNull(endpoints, "endpoints");
            for (String e : endpoints) {
                this.endpoints.add(requireNonNull(e, "endpoint"));
            }
            return this;
        }

        /** Username and password auth (registry-etcd's {@code WithAuthOpt}). */
        public Builder credentials(String username, String password) {
            this.username = requireNonNull(username, "username");
            this.password = requireNonNull(password, "password");
            return this;
        }

        /** TLS that trusts the CA in this PEM file, with no client certificate. */
        public Builder tls(Path caCert) {
            this.tls = true;
            this.caCert = requireNonNull(caCert, "caCert");
            return this;
        }

        /**
         * TLS with a client certificate (registry-etcd's {@code WithTLSOpt}). The key must be PEM,
         * PKCS#8 ({@code BEGIN PRIVATE KEY}). {@code caCert} may be {@code null} to trust the JVM's
         * default CAs.
         */
        public Builder tls(Path caCert, Path clientCert, Path clientKey) {
            this.tls = true;
            this.caCert = caCert;
            this.clientCert = requireNonNull(clientCert, "clientCert");
            this.clientKey = requireNonNull(clientKey, "clientKey");
            return this;
        }

        /**
         * The name the server certificate is checked against, when it differs from the endpoint
         * host. Rarely needed.
         */
        public Builder authority(String authority) {
            this.authority = requireNonNull(authority, "authority");
            return this;
        }

        /** Time to connect (registry-etcd's {@code WithDialTimeoutOpt}); default 5 s. */
        public Builder dialTimeout(Duration dialTimeout) {
            this.dialTimeout = requireNonNull(dialTimeout, "dialTimeout");
            return this;
        }

        /** Time for one etcd call; default 3 s, as registry-etcd. */
        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = requireNonNull(callTimeout, "callTimeout");
            return this;
        }

        /**
         * Checks every option and loads the TLS files.
         *
         * @throws IllegalArgumentException naming the option and what is wrong with it
         */
        public EtcdClientConfig build() {
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("endpoints: at least one etcd endpoint is required");
            }
            if (username != null && username.isEmpty()) {
                throw new IllegalArgumentException("username: must not be empty");
            }
            positive(dialTimeout, "dialTimeout");
            positive(callTimeout, "callTimeout");
            // TLS files first: a file that does not load is the error users most need to see.
            SslContext ssl = tls ? loadTls() : null;
            final List<URI> uris = new ArrayList<>();
            for (String endpoint : endpoints) {
                uris.add(parseEndpoint(endpoint));
            }
            if (ssl == null && tls) {
                ssl = loadTls();
            }
            return new EtcdClientConfig(this, uris, ssl);
        }

        private URI parseEndpoint(String endpoint) {
            final String trimmed = endpoint.trim();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException("endpoints: an endpoint is empty");
            }
            final String withScheme = trimmed.contains("://") ? trimmed : (tls ? "https://" : "http://") + trimmed;
            final URI uri;
            try {
                uri = URI.create(withScheme);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("endpoints: '" + endpoint + "' is not a valid URL: " + e.getMessage());
            }
            final String scheme = uri.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new IllegalArgumentException("endpoints: '" + endpoint + "' must use http or https");
            }
            if (uri.getHost() == null || uri.getPort() <= 0) {
                throw new IllegalArgumentException("endpoints: '" + endpoint + "' needs a host and a port");
            }
            if (tls && "http".equals(scheme)) {
                throw new IllegalArgumentException(
                        "endpoints: '" + endpoint + "' is plaintext http but TLS is configured; use https://");
            }
            if (!tls && "https".equals(scheme) && caCert == null) {
                // https with no TLS options: trust the JVM's CAs rather than silently talking plaintext.
                tls = true;
            }
            return uri;
        }

        private SslContext loadTls() {
            // Check every file before handing it to Netty, whose errors do not say which option is wrong.
            if (caCert != null) {
                readable(caCert, "caCert");
                checkPem(caCert, "caCert", "CERTIFICATE");
            }
            if (clientCert != null) {
                readable(clientCert, "clientCert");
                readable(clientKey, "clientKey");
                checkPem(clientCert, "clientCert", "CERTIFICATE");
                checkPem(clientKey, "clientKey", "PRIVATE KEY");
            }
            final SslContextBuilder ssl = GrpcSslContexts.forClient();
            try {
                if (caCert != null) {
                    ssl.trustManager(caCert.toFile());
                }
                if (clientCert != null) {
                    ssl.keyManager(clientCert.toFile(), clientKey.toFile());
                }
                return ssl.build();
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("tls: cannot load "
                        + (clientCert != null ? "client certificate " + clientCert + " and key " + clientKey
                                : "")
                        + (clientCert != null && caCert != null ? " or " : "")
                        + (caCert != null ? "CA certificate " + caCert : "")
                        + ": " + e.getMessage(), e);
            }
        }

        private static Path readable(Path file, String option) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new IllegalArgumentException(option + ": cannot read " + file);
            }
            return file;
        }

        private static void checkPem(Path file, String option, String what) {
            final String text;
            try (InputStream in = Files.newInputStream(file)) {
                text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage(), e);
            }
            if (!text.contains("-----BEGIN ") || !text.contains(what + "-----")) {
                final String hint = what.equals("PRIVATE KEY") && text.contains("BEGIN RSA PRIVATE KEY")
                        ? " (it is PKCS#1; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)"
                        : "";
                throw new IllegalArgumentException(option + ": " + file + " is not a PEM " + what + hint);
            }
        }

        private static void positive(Duration d, String option) {
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(option + ": must be positive, got " + d);
            }
        }
    }
}
