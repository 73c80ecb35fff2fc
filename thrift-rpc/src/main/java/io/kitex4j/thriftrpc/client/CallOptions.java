package io.kitex4j.thriftrpc.client;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.Metainfo;
import java.time.Duration;

/**
 * Per-call settings that override the client's, like Kitex's {@code callopt} options.
 *
 * <p>Immutable and thread-safe; build one with {@link #builder()} and pass it to
 * {@link KitexClient#stub(Class, CallOptions)} or {@link KitexClient#async(Class, CallOptions)}.
 * A stub is cheap, so making one for a single call is fine:
 *
 * <pre>{@code
 * CallOptions fast = CallOptions.builder().rpcTimeout(Duration.ofMillis(50)).build();
 * Response r = client.stub(EchoServer.Iface.class, fast).Echo(req);
 * }</pre>
 *
 * <p>Every setting is optional; an unset one means "as the client is configured".
 */
public final class CallOptions {

    /** No overrides. */
    public static final CallOptions DEFAULT = new Builder().build();

    private final Duration rpcTimeout;
    private final Duration connectTimeout;
    private final Metainfo metainfo;
    private final String hashKey;
    private final BackwardValues backwardValues;

    private CallOptions(Builder b) {
        this.rpcTimeout = b.rpcTimeout;
        this.connectTimeout = b.connectTimeout;
        this.metainfo = b.metainfo;
        this.hashKey = b.hashKey;
        this.backwardValues = b.backwardValues;
    }

    /** A new builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.rpcTimeout = rpcTimeout;
        b.connectTimeout = connectTimeout;
        b.metainfo = metainfo;
        b.hashKey = hashKey;
        b.backwardValues = backwardValues;
        return b;
    }

    /**
     * The RPC timeout of the call, {@link Duration#ZERO} for none, or {@code null} to use the
     * client's.
     */
    public Duration rpcTimeout() {
        return rpcTimeout;
    }

    /** The connect timeout of the call, or {@code null} to use the client's. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The metainfo sent with the call instead of {@link Metainfo#current()}, or {@code null} to send
     * the calling thread's.
     */
    public Metainfo metainfo() {
        return metainfo;
    }

    /**
     * The key a consistent-hash load balancer picks the instance by, or {@code null}. Other
     * balancers ignore it.
     */
    public String hashKey() {
        return hashKey;
    }

    /**
     * Where the backward metainfo values of the reply are put, or {@code null} to use the one
     * {@link BackwardValues#capture() captured} on the calling thread, if any.
     */
    public BackwardValues backwardValues() {
        return backwardValues;
    }

    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("CallOptions{");
        if (rpcTimeout != null) {
            sb.append("rpcTimeout=").append(rpcTimeout).append(", ");
        }
        if (connectTimeout != null) {
            sb.append("connectTimeout=").append(connectTimeout).append(", ");
        }
        if (metainfo != null) {
            sb.append("metainfo=").append(metainfo).append(", ");
        }
        if (hashKey != null) {
            sb.append("hashKey=").append(hashKey).append(", ");
        }
        if (sb.charAt(sb.length() - 1) == ' ') {
            sb.setLength(sb.length() - 2);
        }
        return sb.append('}').toString();
    }

    /** Builds {@link CallOptions}; every setter is optional. */
    public static final class Builder {
        private Duration rpcTimeout;
        private Duration connectTimeout;
        private Metainfo metainfo;
        private String hashKey;
        private BackwardValues backwardValues;

        private Builder() {}

        /**
         * The RPC timeout of this call: the whole call, from its start to the decoded reply,
         * including connecting and retries. It is sent to the server as TTHeader int key 12 (ms).
         * {@link Duration#ZERO} means none, even if the client has one.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder rpcTimeout(Duration rpcTimeout) {
            requireNonNull(rpcTimeout, "rpcTimeout");
            if (rpcTimeout.isNegative()) {
                throw new IllegalArgumentException("rpcTimeout: " + rpcTimeout + " is negative");
            }
            this.rpcTimeout = rpcTimeout;
            return this;
        }

        /**
         * The connect timeout of this call, sent to the server as TTHeader int key 17 (ms).
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder connectTimeout(Duration connectTimeout) {
            requireNonNull(connectTimeout, "connectTimeout");
            if (connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " is not positive");
            }
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * The metainfo to send instead of {@link Metainfo#current()}: useful in asynchronous code,
         * where the thread that issues the call may not be the one the metainfo is attached to.
         */
        public Builder metainfo(Metainfo metainfo) {
            this.metainfo = requireNonNull(metainfo, "metainfo");
            return this;
        }

        /** The consistent-hashing key (Kitex's {@code WithHashKey}-style per-call key). */
        public Builder hashKey(String hashKey) {
            this.hashKey = requireNonNull(hashKey, "hashKey");
            return this;
        }

        /** Collects the reply's backward metainfo values into {@code backwardValues}. */
        public Builder backwardValues(BackwardValues backwardValues) {
            this.backwardValues = requireNonNull(backwardValues, "backwardValues");
            return this;
        }

        /** The options. */
        public CallOptions build() {
            return new CallOptions(this);
        }
    }
}
