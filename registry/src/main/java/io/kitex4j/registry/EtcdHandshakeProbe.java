package io.kitex4j.registry;

import io.grpc.netty.GrpcSslContexts;
import io.kitex4j.core.internal.Throwables;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.registry.EtcdAccessException.Kind;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Finds why etcd cannot be reached: connects to each endpoint once, as gRPC would (same TLS
 * context, same host name check, HTTP/2 preface), and reads what the connection says.
 *
 * <p>Needed because jetcd makes its calls wait for a ready connection ({@code waitForReady}), so a
 * failing handshake never reaches the caller: the call only times out. The probe costs one TCP
 * connection per endpoint and is only made when a call has failed or not answered.
 */
final class EtcdHandshakeProbe {

    /** HTTP/2 client preface (RFC 9113 §3.4) and an empty SETTINGS frame: what gRPC sends first. */
    private static final byte[] H2_PREFACE;

    static {
        final byte[] magic = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final byte[] settings = {0, 0, 0, 4, 0, 0, 0, 0, 0};
        H2_PREFACE = new byte[magic.length + settings.length];
        System.arraycopy(magic, 0, H2_PREFACE, 0, magic.length);
        System.arraycopy(settings, 0, H2_PREFACE, magic.length, settings.length);
    }

    private static volatile SslContext trustAll;

    private EtcdHandshakeProbe() {}

    /**
     * The cause of {@code failure} (which may be {@code null}: "no answer yet"), probing the
     * endpoints when the failure itself does not say. Never fails; completes within about
     * {@code timeout}.
     */
    static CompletableFuture<EtcdAccessException> diagnose(EtcdClientConfig config, Throwable failure,
                                                           Duration timeout) {
        final String all = endpointsText(config.endpoints());
        final EtcdAccessException known = failure == null ? null
                : EtcdAccessException.find(failure, all).orElse(null);
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        final EventLoopGroup group = new NioEventLoopGroup(1, new DefaultThreadFactory("kitex4j-etcd-probe", true));
        final List<CompletableFuture<EtcdAccessException>> probes = new ArrayList<>();
        for (URI endpoint : config.endpoints()) {
            probes.add(probe(group, config, endpoint, timeout));
        }
        return CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            EtcdAccessException first = null;
            boolean anyFine = false;
            for (CompletableFuture<EtcdAccessException> p : probes) {
                final EtcdAccessException found = p.getNow(null);
                if (found == null) {
                    anyFine = true;
                } else if (first == null || found.isPermanent() && !first.isPermanent()) {
                    first = found;
                }
            }
            if (anyFine || first == null) {
                // The connection is fine; whatever failed did so above TLS.
                final String reason = failure == null ? "connects, but gave no answer"
                        : "connects, but the call failed: " + oneLine(failure);
                return new EtcdAccessException(Kind.UNREACHABLE, all, reason, failure);
            }
            return first;
        });
    }

    private static CompletableFuture<EtcdAccessException> probe(EventLoopGroup group, EtcdClientConfig config,
                                                                URI endpoint, Duration timeout) {
        final String where = endpoint.toString();
        final boolean tls = "https".equals(endpoint.getScheme());
        final SslContext ssl = tls ? config.sslContext() : null;
        return exchange(group, endpoint, ssl, verifiedHost(config, endpoint), timeout).thenCompose(outcome -> {
            if (outcome.connectFailure != null) {
                return done(new EtcdAccessException(Kind.UNREACHABLE, where,
                        "cannot connect: " + oneLine(outcome.connectFailure), outcome.connectFailure));
            }
            if (outcome.timedOut) {
                return done(new EtcdAccessException(Kind.UNREACHABLE, where,
                        "no answer within " + io.kitex4j.registry.internal.EtcdCalls.format(timeout), null));
            }
            return tls ? afterTls(group, config, endpoint, outcome, timeout)
                    : afterPlaintext(group, endpoint, outcome, timeout);
        });
    }

    private static CompletableFuture<EtcdAccessException> afterTls(EventLoopGroup group, EtcdClientConfig config,
                                                                   URI endpoint, Outcome outcome, Duration timeout) {
        final String where = endpoint.toString();
        if (outcome.answer != null) {
            return done(null);
        }
        final Throwable error = outcome.error;
        if (error != null) {
            final EtcdAccessException classified = classifyTls(config, where, error);
            if (classified != null) {
                return done(classified);
            }
        }
        // Closed during or right after the handshake: a plaintext port does that too.
        return exchange(group, endpoint, null, null, timeout).thenApply(plain -> {
            if (plain.answer != null && isHttp2Settings(plain.answer)) {
                return new EtcdAccessException(Kind.TLS_TO_PLAINTEXT_PORT, where,
                        "TLS was spoken to a port that serves plaintext; use http:// (or enable TLS on etcd)", error);
            }
            return new EtcdAccessException(Kind.TLS_HANDSHAKE_FAILED, where, "the TLS handshake failed: "
                    + (error == null ? "etcd closed the connection" : oneLine(error)), error);
        });
    }

    private static CompletableFuture<EtcdAccessException> afterPlaintext(EventLoopGroup group, URI endpoint,
                                                                         Outcome outcome, Duration timeout) {
        final String where = endpoint.toString();
        if (outcome.answer != null && isHttp2Settings(outcome.answer)) {
            return done(null);
        }
        if (outcome.answer != null && looksLikeTls(outcome.answer)) {
            return done(plaintextToTls(where, null));
        }
        // Go's TLS server closes a connection that does not start with a TLS record: ask it in TLS.
        return exchange(group, endpoint, trustAll(), null, timeout).thenApply(secure -> {
            final boolean speaksTls = secure.answer != null
                    || secure.handshakeDone
                    || secure.error != null && alertReceived(secure.error);
            if (speaksTls) {
                return plaintextToTls(where, outcome.error);
            }
            final String what = outcome.answer != null
                    ? "answered with something other than HTTP/2: " + LogValues.escape(
                            new String(outcome.answer, StandardCharsets.ISO_8859_1), 64)
                    : outcome.error != null ? oneLine(outcome.error) : "closed the connection";
            return new EtcdAccessException(Kind.UNREACHABLE, where, what, outcome.error);
        });
    }

    private static EtcdAccessException plaintextToTls(String where, Throwable cause) {
        return new EtcdAccessException(Kind.PLAINTEXT_TO_TLS_PORT, where,
                "plaintext was spoken to a port that serves TLS; use https:// and the TLS options", cause);
    }

    /** What a failed handshake means, or {@code null} if it says nothing specific (e.g. closed). */
    private static EtcdAccessException classifyTls(EtcdClientConfig config, String where, Throwable error) {
        final String text = chainText(error);
        if (has(error, NotSslRecordException.class)) {
            return new EtcdAccessException(Kind.TLS_TO_PLAINTEXT_PORT, where,
                    "TLS was spoken to a port that serves plaintext; use http:// (or enable TLS on etcd)", error);
        }
        if (text.contains("certificate_required") || text.contains("bad_certificate")
            || text.contains("unknown_ca") || text.contains("certificate_unknown")) {
            // Alerts etcd (Go's crypto/tls) sends when the client certificate is missing or not trusted.
            final String reason = config.hasClientCertificate()
                    ? "etcd rejected the client certificate (" + alert(text) + "); is it signed by a CA etcd trusts "
                      + "(--trusted-ca-file)?"
                    : "etcd requires a client certificate (" + alert(text) + "); set a client certificate and key";
            return new EtcdAccessException(Kind.CLIENT_CERTIFICATE_REQUIRED, where, reason, error);
        }
        if (text.contains("no subject alternative") || text.contains("no name matching")) {
            return new EtcdAccessException(Kind.HOSTNAME_MISMATCH, where,
                    "TLS: etcd's certificate is not valid for the name dialled (" + oneLine(deepest(error))
                    + "); dial a name in its subject alternative names, or set the authority", error);
        }
        if (has(error, CertPathBuilderException.class) || has(error, CertPathValidatorException.class)
            || text.contains("pkix path") || text.contains("certification path")) {
            return new EtcdAccessException(Kind.CERTIFICATE_NOT_TRUSTED, where,
                    "TLS: etcd's certificate is not trusted (" + oneLine(deepest(error))
                    + "); is the CA certificate the one that signed etcd's?", error);
        }
        if (text.contains("connection closed") || text.contains("closedchannel") || text.contains("handshake timed out")
            || !(deepest(error) instanceof SSLException) && !(error instanceof SSLException)) {
            return null;
        }
        return new EtcdAccessException(Kind.TLS_HANDSHAKE_FAILED, where,
                "the TLS handshake failed: " + oneLine(error), error);
    }

    private static String alert(String text) {
        for (String a : new String[] {"certificate_required", "bad_certificate", "unknown_ca", "certificate_unknown"}) {
            if (text.contains(a)) {
                return "TLS alert " + a;
            }
        }
        return "TLS alert";
    }

    private static boolean alertReceived(Throwable error) {
        return chainText(error).contains("received fatal alert");
    }

    // ---- one connection ----

    /** What one connection said. */
    private static final class Outcome {
        Throwable connectFailure;
        boolean timedOut;
        boolean handshakeDone;
        byte[] answer;
        Throwable error;
    }

    private static CompletableFuture<Outcome> exchange(EventLoopGroup group, URI endpoint, SslContext ssl,
                                                       String verifiedHost, Duration timeout) {
        final CompletableFuture<Outcome> result = new CompletableFuture<>();
        final Outcome outcome = new Outcome();
        final String host = bare(endpoint.getHost());
        final int port = endpoint.getPort();
        final Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler sslHandler = null;
                        if (ssl != null) {
                            final SSLEngine engine = ssl.newEngine(ch.alloc(), verifiedHost != null ? verifiedHost : host,
                                                                   port);
                            if (verifiedHost != null) {
                                // As grpc-netty's ClientTlsHandler: the certificate must match the authority.
                                final SSLParameters params = engine.getSSLParameters();
                                params.setEndpointIdentificationAlgorithm("HTTPS");
                                engine.setSSLParameters(params);
                            }
                            sslHandler = new SslHandler(engine);
                            sslHandler.setHandshakeTimeoutMillis(Math.max(1, timeout.toMillis()));
                            ch.pipeline().addLast(sslHandler);
                        }
                        final SslHandler tlsHandler = sslHandler;
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                if (tlsHandler == null) {
                                    ctx.writeAndFlush(Unpooled.wrappedBuffer(H2_PREFACE));
                                } else {
                                    tlsHandler.handshakeFuture().addListener(f -> {
                                        if (f.isSuccess()) {
                                            outcome.handshakeDone = true;
                                            ctx.writeAndFlush(Unpooled.wrappedBuffer(H2_PREFACE));
                                        } else {
                                            finish(ctx, f.cause());
                                        }
                                    });
                                }
                                ctx.fireChannelActive();
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                try {
                                    if (msg instanceof ByteBuf buf && outcome.answer == null && buf.isReadable()) {
                                        outcome.answer = ByteBufUtil.getBytes(buf, buf.readerIndex(),
                                                                              Math.min(buf.readableBytes(), 64));
                                        finish(ctx, null);
                                    }
                                } finally {
                                    ReferenceCountUtil.release(msg);
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                finish(ctx, cause);
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                finish(ctx, null);
                            }

                            private void finish(ChannelHandlerContext ctx, Throwable cause) {
                                if (result.isDone()) {
                                    return;
                                }
                                if (outcome.error == null && cause != null) {
                                    outcome.error = cause;
                                }
                                result.complete(outcome);
                                ctx.close();
                            }
                        });
                    }
                });
        final ChannelFuture connect;
        try {
            connect = b.connect(host, port);
        } catch (RuntimeException e) {
            outcome.connectFailure = e;
            return CompletableFuture.completedFuture(outcome);
        }
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                outcome.connectFailure = f.cause();
                result.complete(outcome);
            }
        });
        group.schedule(() -> {
            if (!result.isDone()) {
                outcome.timedOut = true;
                result.complete(outcome);
                connect.channel().close();
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        return result;
    }

    // ---- helpers ----

    private static CompletableFuture<EtcdAccessException> done(EtcdAccessException e) {
        return CompletableFuture.completedFuture(e);
    }

    private static boolean isHttp2Settings(byte[] answer) {
        // A frame header: 24-bit length, type, flags, stream id. etcd's first frame is SETTINGS (type 4).
        return answer.length >= 9 && answer[3] == 4;
    }

    private static boolean looksLikeTls(byte[] answer) {
        // A TLS record: content type alert (21) or handshake (22), then major version 3.
        return answer.length >= 3 && (answer[0] == 21 || answer[0] == 22) && answer[1] == 3;
    }

    private static String verifiedHost(EtcdClientConfig config, URI endpoint) {
        final String authority = config.authority();
        if (authority == null) {
            return bare(endpoint.getHost());
        }
        // An authority may carry a port; the certificate check is on the host.
        final int colon = authority.lastIndexOf(':');
        final boolean hasPort = colon > authority.lastIndexOf(']') && authority.indexOf(':') == colon;
        return bare(hasPort ? authority.substring(0, colon) : authority);
    }

    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static SslContext trustAll() {
        SslContext c = trustAll;
        if (c == null) {
            try {
                // Only to learn whether the port speaks TLS at all; nothing is sent but the HTTP/2 preface.
                c = GrpcSslContexts.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
            } catch (SSLException e) {
                throw new IllegalStateException("cannot create a TLS context", e);
            }
            trustAll = c;
        }
        return c;
    }

    static String endpointsText(List<URI> endpoints) {
        return endpoints.size() == 1 ? endpoints.get(0).toString() : endpoints.toString();
    }

    private static boolean has(Throwable t, Class<? extends Throwable> type) {
        for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable deepest(Throwable t) {
        for (int depth = 0; t.getCause() != null && t.getCause() != t && depth < 10; depth++) {
            t = t.getCause();
        }
        return t;
    }

    private static String chainText(Throwable t) {
        final StringBuilder sb = new StringBuilder();
        for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
            sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    /** The messages along the cause chain on one line, escaped and truncated. */
    static String oneLine(Throwable t) {
        return LogValues.escape(EtcdRegistration.describe(Throwables.unwrap(t)), 300);
    }
}
