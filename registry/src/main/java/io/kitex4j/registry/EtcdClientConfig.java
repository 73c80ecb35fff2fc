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
import java.util.concurrent.CompletableFuture;

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

    /**
     * Default time between gRPC keepalive pings on a connection with open calls. etcd's server
     * policy ({@code --grpc-keepalive-min-time}, 5 s by default) answers pings more frequent than
     * that with {@code GOAWAY ENHANCE_YOUR_CALM (too_many_pings)}; 10 s is also gRPC-java's minimum.
     */
    public static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofSeconds(10);

    /** Default time to wait for a keepalive ping's answer before the connection is considered dead. */
    public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

    /** gRPC-java raises any shorter keepalive time to this ({@code NettyChannelBuilder.keepAliveTime}). */
    private static final Duration MIN_KEEPALIVE_TIME = Duration.ofSeconds(10);

    private final List<URI> endpoints;
    private final SslContext sslContext;
    /**
     * The options as given, frozen: a private copy of the builder taken by {@link Builder#build()},
     * so that {@link #toBuilder()} is a copy of it and adding an option touches only the builder.
     */
    private final Builder options;

    private EtcdClientConfig(Builder options, List<URI> endpoints, SslContext sslContext) {
        this.options = options;
        this.endpoints = List.copyOf(endpoints);
        this.sslContext = sslContext;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A config for plaintext endpoints with default timeouts. */
    public static EtcdClientConfig of(String... endpoints) {
        return builder().endpoints(endpoints).build();
    }

    /** A builder that starts from this config's values; the config itself is not changed. */
    public Builder toBuilder() {
        return options.copy();
    }

    /**
     * Opens a new jetcd client. The caller owns it and must close it. The client connects lazily;
     * calls made while etcd is unreachable fail after {@link #callTimeout()} when wrapped by the
     * caller, or after the dial timeout.
     */
    public Client newClient() {
        final ClientBuilder b = Client.builder()
                .endpoints(endpoints.toArray(URI[]::new))
                .connectTimeout(options.dialTimeout)
                // jetcd retries failed calls itself; bound that so our own timeouts and retry loops stay in charge.
                .retryMaxDuration(options.dialTimeout)
                .keepaliveTime(options.keepaliveTime)
                .keepaliveTimeout(options.keepaliveTimeout)
                // etcd's server policy has PermitWithoutStream=false (embed/serve.go, keepalive.EnforcementPolicy):
                // a ping on a connection without an open stream is a strike unless the previous ping was 2 hours
                // ago (grpc-go internal/transport/http2_server.go#handlePing), and the third strike gets
                // GOAWAY ENHANCE_YOUR_CALM (too_many_pings). jetcd's default (true) pinged idle connections, e.g.
                // of a registry between retries or a resolver without watches, every keepaliveTime: GOAWAY after
                // four pings. With open streams (leases, watches) pings continue, keepaliveTime apart.
                .keepaliveWithoutCalls(false);
        if (options.username != null) {
            b.user(ByteSequence.from(options.username, StandardCharsets.UTF_8));
            b.password(ByteSequence.from(options.password, StandardCharsets.UTF_8));
        }
        if (sslContext != null) {
            b.sslContext(sslContext);
        }
        if (options.authority != null) {
            b.authority(options.authority);
        }
        return b.build();
    }

    /**
     * Finds out why etcd could not be used: the cause of {@code failure}, an etcd call's error in
     * any wrapping (or {@code null} for a call that has not answered yet). etcd's own answers
     * (authentication failed, permission denied) are read from the failure; otherwise each
     * endpoint is connected to once with these TLS settings, which tells a certificate that is not
     * trusted or not valid for the host, a missing client certificate, and TLS or plaintext spoken
     * to the wrong kind of port from an etcd that is down.
     *
     * <p>The future never fails and completes within about {@link #dialTimeout()}. When nothing
     * more specific is found, the result is of kind {@link EtcdAccessException.Kind#UNREACHABLE}.
     */
    public CompletableFuture<EtcdAccessException> diagnose(Throwable failure) {
        return EtcdHandshakeProbe.diagnose(this, failure, options.dialTimeout);
    }

    /** The endpoints as URIs ({@code http://host:port} or {@code https://host:port}). */
    public List<URI> endpoints() {
        return endpoints;
    }

    /** The user name, or {@code null}. */
    public String username() {
        return options.username;
    }

    /** Whether the connection uses TLS. */
    public boolean isTls() {
        return sslContext != null;
    }

    /** The time allowed to connect. */
    public Duration dialTimeout() {
        return options.dialTimeout;
    }

    /** The time allowed for one etcd call. */
    public Duration callTimeout() {
        return options.callTimeout;
    }

    /** The time between keepalive pings on a connection with open calls. */
    public Duration keepaliveTime() {
        return options.keepaliveTime;
    }

    /** The time to wait for a keepalive ping's answer. */
    public Duration keepaliveTimeout() {
        return options.keepaliveTimeout;
    }

    SslContext sslContext() {
        return sslContext;
    }

    String authority() {
        return options.authority;
    }

    boolean hasClientCertificate() {
        return options.clientCert != null;
    }

    @Override
    public String toString() {
        return "EtcdClientConfig{endpoints=" + endpoints
                + (options.username != null ? ", user=" + options.username : "")
                + (sslContext != null ? ", tls" : "")
                + ", dialTimeout=" + options.dialTimeout + ", callTimeout=" + options.callTimeout + '}';
    }

    /** Builds an {@link EtcdClientConfig}; {@link #build()} checks every option. */
    public static final class Builder implements Cloneable {
        private List<String> endpoints = new ArrayList<>();
        private String username;
        private String password;
        private boolean tls;
        private Path caCert;
        private Path clientCert;
        private Path clientKey;
        private String authority;
        private Duration dialTimeout = DEFAULT_DIAL_TIMEOUT;
        private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
        private Duration keepaliveTime = DEFAULT_KEEPALIVE_TIME;
        private Duration keepaliveTimeout = DEFAULT_KEEPALIVE_TIMEOUT;

        private Builder() {}

        /** An independent copy: the endpoint list is the only mutable part. */
        private Builder copy() {
            try {
                final Builder b = (Builder) super.clone();
                b.endpoints = new ArrayList<>(endpoints);
                return b;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

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
         * Time between gRPC keepalive pings while calls (lease keepalives, watches) are open; default
         * 10 s, at least 10 s (gRPC-java's minimum). It must also be at least etcd's
         * {@code --grpc-keepalive-min-time} (5 s by default), or etcd closes the connection with
         * {@code GOAWAY ENHANCE_YOUR_CALM (too_many_pings)}. Idle connections are never pinged.
         */
        public Builder keepaliveTime(Duration keepaliveTime) {
            this.keepaliveTime = requireNonNull(keepaliveTime, "keepaliveTime");
            return this;
        }

        /** Time to wait for a keepalive ping's answer before the connection is dropped; default 5 s. */
        public Builder keepaliveTimeout(Duration keepaliveTimeout) {
            this.keepaliveTimeout = requireNonNull(keepaliveTimeout, "keepaliveTimeout");
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
            positive(keepaliveTimeout, "keepaliveTimeout");
            if (keepaliveTime.compareTo(MIN_KEEPALIVE_TIME) < 0) {
                throw new IllegalArgumentException("keepaliveTime: " + keepaliveTime
                        + " (expected: at least 10 s, gRPC's minimum, and at least etcd's --grpc-keepalive-min-time)");
            }
            // TLS files first: a file that does not load is the error users most need to see.
            SslContext ssl = tls ? loadTls() : null;
            final List<URI> uris = new ArrayList<>();
            for (String endpoint : endpoints) {
                uris.add(parseEndpoint(endpoint));
            }
            if (ssl == null && tls) {
                ssl = loadTls();
            }
            return new EtcdClientConfig(copy(), uris, ssl);
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
