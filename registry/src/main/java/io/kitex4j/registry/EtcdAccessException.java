package io.kitex4j.registry;

import io.kitex4j.core.internal.Throwables;

import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.ResolvedInstances;
import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * etcd cannot be used, and why: the endpoint and the {@link Kind cause}, in a one-line message such
 * as {@code etcd at https://10.0.0.1:2379: TLS: etcd's certificate is not trusted (...)}.
 *
 * <p>jetcd's calls wait for a connection until their deadline, so a TLS handshake that fails, or a
 * plaintext client on a TLS port, would otherwise only show as "no answer". kitex4j finds the cause
 * with {@link EtcdClientConfig#diagnose(Throwable)}: it reads etcd's answer from the failed call
 * (auth, permission), or connects to each endpoint once with the same TLS settings and looks at
 * what the handshake says.
 *
 * <p>{@link #isPermanent()} tells whether retrying can help: a certificate, a password or a missing
 * role does not fix itself, an unreachable etcd may come back. Found in the cause chain of a
 * {@link RegistrationException}, and as {@code ResolvedInstances.lastError()} of a resolver.
 */
public final class EtcdAccessException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why etcd cannot be used. */
    public enum Kind {
        /** No answer, connection refused or reset: etcd may be down, or the address wrong. Transient. */
        UNREACHABLE(false),
        /** etcd's certificate is not signed by a trusted CA (wrong or missing CA file). */
        CERTIFICATE_NOT_TRUSTED(true),
        /** etcd's certificate is not valid for the host name or IP address dialled (or the authority set). */
        HOSTNAME_MISMATCH(true),
        /** etcd requires a client certificate it trusts, and none was sent or it rejected the one sent. */
        CLIENT_CERTIFICATE_REQUIRED(true),
        /** TLS ({@code https://}) was spoken to a port that serves plaintext. */
        TLS_TO_PLAINTEXT_PORT(true),
        /** Plaintext ({@code http://}) was spoken to a port that serves TLS. */
        PLAINTEXT_TO_TLS_PORT(true),
        /** Another TLS handshake failure, e.g. no common protocol version or cipher suite. */
        TLS_HANDSHAKE_FAILED(true),
        /** etcd refused the user name and password (wrong password or unknown user). */
        AUTHENTICATION_FAILED(true),
        /** The user is authenticated but has no role granting access to the keys (etcd RBAC). */
        PERMISSION_DENIED(true);

        private final boolean permanent;

        Kind(boolean permanent) {
            this.permanent = permanent;
        }

        /** Whether retrying without a change of configuration cannot help. */
        public boolean isPermanent() {
            return permanent;
        }
    }

    private final Kind kind;
    private final String endpoint;
    private final String reason;

    /**
     * A new exception whose message is {@code etcd at <endpoint>: <reason>}.
     *
     * @param kind why etcd cannot be used
     * @param endpoint the endpoint concerned, or the list of endpoints when not one in particular
     * @param reason what happened, one line
     * @param cause what reported it, or {@code null}
     */
    public EtcdAccessException(Kind kind, String endpoint, String reason, Throwable cause) {
        super("etcd at " + requireNonNull(endpoint, "endpoint") + ": " + requireNonNull(reason, "reason"), cause);
        this.kind = requireNonNull(kind, "kind");
        this.endpoint = endpoint;
        this.reason = reason;
    }

    /** Why etcd cannot be used. */
    public Kind kind() {
        return kind;
    }

    /** The endpoint concerned, e.g. {@code https://10.0.0.1:2379}, or the endpoint list. */
    public String endpoint() {
        return endpoint;
    }

    /** What happened, one line: the message without its {@code etcd at <endpoint>: } start. */
    public String reason() {
        return reason;
    }

    /** {@code kind().isPermanent()}: whether retrying without a change of configuration cannot help. */
    public boolean isPermanent() {
        return kind.isPermanent();
    }

    /**
     * Whether {@code failure}, an etcd call's error in any wrapping, is one that retrying cannot
     * cure: an {@link EtcdAccessException} of a permanent kind in its cause chain, or etcd's answer
     * that authentication failed or permission is denied. Timeouts and unreachable etcd are not
     * permanent; nor is anything unrecognised.
     */
    public static boolean isPermanent(Throwable failure) {
        return find(failure).map(e -> e.kind().isPermanent()).orElse(false);
    }

    /**
     * The {@link EtcdAccessException} that {@code failure} is or contains, or one made from etcd's
     * answer in it (authentication failed, permission denied); empty when the failure says nothing
     * about the cause (a timeout, for instance: see {@link EtcdClientConfig#diagnose(Throwable)}).
     */
    public static Optional<EtcdAccessException> find(Throwable failure) {
        return find(failure, "[unknown endpoint]");
    }

    static Optional<EtcdAccessException> find(Throwable failure, String endpoints) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof EtcdAccessException e) {
                return Optional.of(e);
            }
        }
        for (Throwable t = Throwables.unwrap(failure); t != null; t = t.getCause() == t ? null : t.getCause()) {
            final Kind kind = kindOfAnswer(t);
            if (kind != null) {
                return Optional.of(new EtcdAccessException(kind, endpoints, reasonOf(kind, t), t));
            }
        }
        return Optional.empty();
    }

    private static Kind kindOfAnswer(Throwable t) {
        final String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
        // etcd's texts (server/etcdserver/api/v3rpc/rpctypes/error.go): "etcdserver: authentication failed,
        // invalid user ID or password", "etcdserver: user name not found", "etcdserver: permission denied".
        // Only etcd's: a socket's "Permission denied" (EACCES) is no RBAC answer.
        if (message.contains("etcdserver: authentication failed") || message.contains("etcdserver: user name not found")
            || message.contains("etcdserver: invalid auth token")) {
            return Kind.AUTHENTICATION_FAILED;
        }
        if (message.contains("etcdserver: permission denied")) {
            return Kind.PERMISSION_DENIED;
        }
        if (t instanceof EtcdException e) {
            if (e.getErrorCode() == ErrorCode.PERMISSION_DENIED) {
                return Kind.PERMISSION_DENIED;
            }
            if (e.getErrorCode() == ErrorCode.UNAUTHENTICATED) {
                return Kind.AUTHENTICATION_FAILED;
            }
            return null;
        }
        final Status.Code code = Status.fromThrowable(t).getCode();
        if (code == Status.Code.PERMISSION_DENIED) {
            return Kind.PERMISSION_DENIED;
        }
        return code == Status.Code.UNAUTHENTICATED ? Kind.AUTHENTICATION_FAILED : null;
    }

    private static String reasonOf(Kind kind, Throwable t) {
        final String detail = EtcdHandshakeProbe.oneLine(t);
        return switch (kind) {
            case AUTHENTICATION_FAILED -> "authentication failed, wrong user name or password (" + detail + ")";
            case PERMISSION_DENIED -> "permission denied: the user has no role granting access to these keys ("
                                      + detail + ")";
            default -> detail;
        };
    }
}
