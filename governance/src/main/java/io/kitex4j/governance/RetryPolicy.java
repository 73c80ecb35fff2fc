package io.kitex4j.governance;

import java.time.Duration;
import java.util.Objects;

/**
 * A retry policy with Kitex's semantics and defaults ({@code pkg/retry}, Kitex v0.16): a failure retry, a
 * backup request, or a mixed retry (a backup request that also retries failures). Immutable; build with
 * {@link #failure()}, {@link #backup(Duration)} or {@link #mixed(Duration)}.
 *
 * <table>
 * <caption>Defaults and bounds, as Kitex's</caption>
 * <tr><th>type</th><th>max retry times</th><th>what starts another attempt</th></tr>
 * <tr><td>{@link Type#FAILURE}</td><td>2 (0..5)</td><td>a timeout, or an outcome the {@link #classifier()} retries</td></tr>
 * <tr><td>{@link Type#BACKUP}</td><td>1 (0..2)</td><td>no answer within {@link #retryDelay()}</td></tr>
 * <tr><td>{@link Type#MIXED}</td><td>1 (0..3)</td><td>either</td></tr>
 * </table>
 *
 * <p>Common to all: {@link #maxDuration()} (no new attempt after it, 0 = none), chain stop (a request that
 * is itself a retry, marked {@code RetryReq} in persistent metainfo, is not retried again), the retry
 * circuit break (no retry while retries make at least {@link #retryBreakerErrorRate()} of the method's attempts
 * over at least 10 samples, Kitex's default percentage limit; default 0.1, at most 0.3) and {@link #retrySameNode()} (false: each attempt is
 * picked again, avoiding the instances already tried when others are available).
 *
 * <p>A request that may have reached the server (a timeout, a backup copy, an outcome the classifier
 * retries) is sent again only for a method the client marks idempotent; a oneway call never is. A connect
 * failure, which proves the server never saw the request, is retried regardless, as in Kitex.
 */
public final class RetryPolicy {

    /** The retry type, numbered as config-etcd's {@code type}. */
    public enum Type {
        /** Retry after a failed attempt: {@code 0}. */
        FAILURE(0, 5, 2),
        /** Send another copy when the first has not answered in time: {@code 1}. */
        BACKUP(1, 2, 1),
        /** Both: {@code 2}. */
        MIXED(2, 3, 1);

        private final int code;
        private final int maxRetryTimesLimit;
        private final int defaultMaxRetryTimes;

        Type(int code, int maxRetryTimesLimit, int defaultMaxRetryTimes) {
            this.code = code;
            this.maxRetryTimesLimit = maxRetryTimesLimit;
            this.defaultMaxRetryTimes = defaultMaxRetryTimes;
        }

        /** config-etcd's number for the type ({@code retry.Type}). */
        public int code() {
            return code;
        }

        /** The largest {@code max_retry_times} Kitex accepts for this type. */
        public int maxRetryTimesLimit() {
            return maxRetryTimesLimit;
        }

        /** Kitex's default {@code max_retry_times} for this type. */
        public int defaultMaxRetryTimes() {
            return defaultMaxRetryTimes;
        }

        /**
         * The type numbered {@code code}.
         *
         * @throws IllegalArgumentException for another number
         */
        public static Type ofCode(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException("type: " + code + " (expected: 0 failure, 1 backup, 2 mixed)");
        }
    }

    /** Kitex's default retry circuit break error rate ({@code defaultCBErrRate}). */
    public static final double DEFAULT_RETRY_BREAKER_ERROR_RATE = 0.1;
    /** The largest retry circuit break error rate Kitex accepts ({@code checkCBErrorRate}). */
    public static final double MAX_RETRY_BREAKER_ERROR_RATE = 0.3;
    /** The samples below which the retry circuit break never stops a retry ({@code cbMinSample}). */
    public static final int RETRY_BREAKER_MIN_SAMPLE = 10;

    private final Type type;
    private final int maxRetryTimes;
    private final Duration maxDuration;
    private final Duration retryDelay;
    private final boolean chainStop;
    private final boolean ddlStop;
    private final double retryBreakerErrorRate;
    private final Backoff backoff;
    private final boolean retrySameNode;
    private final boolean retryOnTimeout;
    private final RetryClassifier classifier;

    private RetryPolicy(Builder b) {
        this.type = b.type;
        this.maxRetryTimes = b.maxRetryTimes;
        this.maxDuration = b.maxDuration;
        this.retryDelay = b.retryDelay;
        this.chainStop = b.chainStop;
        this.ddlStop = b.ddlStop;
        this.retryBreakerErrorRate = b.retryBreakerErrorRate;
        this.backoff = b.backoff;
        this.retrySameNode = b.retrySameNode;
        this.retryOnTimeout = b.retryOnTimeout;
        this.classifier = b.classifier;
    }

    /** A failure retry: by default 2 retries of timeouts, no backoff. */
    public static Builder failure() {
        return new Builder(Type.FAILURE, Duration.ZERO);
    }

    /**
     * A backup request sent when the first attempt has not answered within {@code retryDelay} (Kitex
     * suggests the method's p99); by default 1.
     */
    public static Builder backup(Duration retryDelay) {
        return new Builder(Type.BACKUP, retryDelay);
    }

    /** A mixed retry: backup requests after {@code retryDelay}, and failure retries; by default 1 in all. */
    public static Builder mixed(Duration retryDelay) {
        return new Builder(Type.MIXED, retryDelay);
    }

    /** A builder starting from this policy. */
    public Builder toBuilder() {
        final Builder b = new Builder(type, retryDelay);
        b.maxRetryTimes = maxRetryTimes;
        b.maxDuration = maxDuration;
        b.chainStop = chainStop;
        b.ddlStop = ddlStop;
        b.retryBreakerErrorRate = retryBreakerErrorRate;
        b.backoff = backoff;
        b.retrySameNode = retrySameNode;
        b.retryOnTimeout = retryOnTimeout;
        b.classifier = classifier;
        return b;
    }

    /** The type. */
    public Type type() {
        return type;
    }

    /** The most attempts after the first ({@code max_retry_times}). */
    public int maxRetryTimes() {
        return maxRetryTimes;
    }

    /** No attempt starts once this much time has passed since the first; zero for no limit ({@code max_duration_ms}). */
    public Duration maxDuration() {
        return maxDuration;
    }

    /** How long a backup or mixed policy waits for an answer before sending the next copy; zero for failure ({@code retry_delay_ms}). */
    public Duration retryDelay() {
        return retryDelay;
    }

    /** Whether a request that is itself a retry is not retried again (true; {@code !disable_chain_stop}). */
    public boolean chainStop() {
        return chainStop;
    }

    /**
     * Whether retries stop when too little of the call's deadline is left ({@code ddl_stop}). Open-source
     * Kitex registers no deadline check and only warns; kitex4j checks the local deadline budget.
     */
    public boolean ddlStop() {
        return ddlStop;
    }

    /**
     * The share of retries among the method's attempts at or above which retries stop, over at least
     * {@value #RETRY_BREAKER_MIN_SAMPLE} samples ({@code cb_policy.error_rate}; Kitex's default retry container
     * counts a first attempt as a success and a retry as a failure, whatever their outcomes).
     */
    public double retryBreakerErrorRate() {
        return retryBreakerErrorRate;
    }

    /** The wait before each failure retry ({@link Backoff#none()} for backup). */
    public Backoff backoff() {
        return backoff;
    }

    /** Whether retries go to the instance of the previous attempt ({@code retry_same_node}). */
    public boolean retrySameNode() {
        return retrySameNode;
    }

    /** Whether a failure or mixed retry retries timeouts (true; Kitex's {@code !NotRetryForTimeout}). */
    public boolean retryOnTimeout() {
        return retryOnTimeout;
    }

    /** Which other outcomes a failure or mixed retry retries ({@link RetryClassifier#NONE} by default). */
    public RetryClassifier classifier() {
        return classifier;
    }

    /** Whether the policies send the same requests (the classifier is compared by identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof RetryPolicy p && p.type == type && p.maxRetryTimes == maxRetryTimes
                && p.maxDuration.equals(maxDuration) && p.retryDelay.equals(retryDelay) && p.chainStop == chainStop
                && p.ddlStop == ddlStop && Double.compare(p.retryBreakerErrorRate, retryBreakerErrorRate) == 0
                && p.backoff.equals(backoff) && p.retrySameNode == retrySameNode
                && p.retryOnTimeout == retryOnTimeout && p.classifier == classifier;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, maxRetryTimes, maxDuration, retryDelay, chainStop, ddlStop, retryBreakerErrorRate,
                backoff, retrySameNode, retryOnTimeout);
    }

    @Override
    public String toString() {
        return "RetryPolicy{" + type + ", maxRetryTimes=" + maxRetryTimes
                + (maxDuration.isZero() ? "" : ", maxDuration=" + maxDuration.toMillis() + "ms")
                + (retryDelay.isZero() ? "" : ", retryDelay=" + retryDelay.toMillis() + "ms")
                + (chainStop ? "" : ", chainStop=false") + (ddlStop ? ", ddlStop" : "")
                + ", retryBreakerErrorRate=" + retryBreakerErrorRate
                + (backoff.type() == Backoff.Type.NONE ? "" : ", " + backoff)
                + (retrySameNode ? ", retrySameNode" : "") + (retryOnTimeout ? "" : ", retryOnTimeout=false")
                + (classifier == RetryClassifier.NONE ? "" : ", classifier=" + classifier) + '}';
    }

    /** Builds a {@link RetryPolicy}; {@link #build()} checks Kitex's bounds. Not thread-safe. */
    public static final class Builder {
        private final Type type;
        private final Duration retryDelay;
        private int maxRetryTimes;
        private Duration maxDuration = Duration.ZERO;
        private boolean chainStop = true;
        private boolean ddlStop;
        private double retryBreakerErrorRate = DEFAULT_RETRY_BREAKER_ERROR_RATE;
        private Backoff backoff = Backoff.none();
        private boolean retrySameNode;
        private boolean retryOnTimeout = true;
        private RetryClassifier classifier = RetryClassifier.NONE;

        private Builder(Type type, Duration retryDelay) {
            this.type = type;
            this.retryDelay = Objects.requireNonNull(retryDelay, "retryDelay");
            this.maxRetryTimes = type.defaultMaxRetryTimes();
        }

        /** The most attempts after the first: 0..5 for failure, 0..2 for backup, 0..3 for mixed. */
        public Builder maxRetryTimes(int maxRetryTimes) {
            this.maxRetryTimes = maxRetryTimes;
            return this;
        }

        /** No attempt starts after this much time since the first; zero for no limit. */
        public Builder maxDuration(Duration maxDuration) {
            this.maxDuration = Objects.requireNonNull(maxDuration, "maxDuration");
            return this;
        }

        /** Whether a request that is itself a retry is not retried again (default true). */
        public Builder chainStop(boolean chainStop) {
            this.chainStop = chainStop;
            return this;
        }

        /** Whether retries stop when too little of the local deadline is left (default false). */
        public Builder ddlStop(boolean ddlStop) {
            this.ddlStop = ddlStop;
            return this;
        }

        /** The error rate at which retries stop: more than 0, at most 0.3 (default 0.1). */
        public Builder retryBreakerErrorRate(double retryBreakerErrorRate) {
            this.retryBreakerErrorRate = retryBreakerErrorRate;
            return this;
        }

        /** The wait before each failure retry (failure and mixed only; default none). */
        public Builder backoff(Backoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /** Whether retries go to the previous attempt's instance (default false). */
        public Builder retrySameNode(boolean retrySameNode) {
            this.retrySameNode = retrySameNode;
            return this;
        }

        /** Whether timeouts are retried (failure and mixed; default true). */
        public Builder retryOnTimeout(boolean retryOnTimeout) {
            this.retryOnTimeout = retryOnTimeout;
            return this;
        }

        /** Which other outcomes are retried (failure and mixed; default none). */
        public Builder classifier(RetryClassifier classifier) {
            this.classifier = Objects.requireNonNull(classifier, "classifier");
            return this;
        }

        /**
         * The policy.
         *
         * @throws IllegalArgumentException naming the first argument out of Kitex's bounds
         */
        public RetryPolicy build() {
            if (maxRetryTimes < 0 || maxRetryTimes > type.maxRetryTimesLimit()) {
                throw new IllegalArgumentException("maxRetryTimes: " + maxRetryTimes + " (expected: 0.."
                        + type.maxRetryTimesLimit() + " for a " + type.name().toLowerCase(java.util.Locale.ROOT)
                        + " policy)");
            }
            if (maxDuration.isNegative()) {
                throw new IllegalArgumentException("maxDuration: " + maxDuration + " (expected: >= 0, 0 for no limit)");
            }
            if (type != Type.FAILURE && (retryDelay.isNegative() || retryDelay.isZero())) {
                throw new IllegalArgumentException("retryDelay: " + retryDelay + " (expected: > 0 for a "
                        + type.name().toLowerCase(java.util.Locale.ROOT) + " policy)");
            }
            if (!(retryBreakerErrorRate > 0 && retryBreakerErrorRate <= MAX_RETRY_BREAKER_ERROR_RATE)) {
                throw new IllegalArgumentException("retryBreakerErrorRate: " + retryBreakerErrorRate
                        + " (expected: > 0 and <= " + MAX_RETRY_BREAKER_ERROR_RATE + ")");
            }
            if (type == Type.BACKUP && backoff.type() != Backoff.Type.NONE) {
                throw new IllegalArgumentException("backoff: " + backoff + " (expected: none for a backup policy)");
            }
            if (type == Type.BACKUP && (classifier != RetryClassifier.NONE || !retryOnTimeout)) {
                throw new IllegalArgumentException("classifier/retryOnTimeout: set on a backup policy (expected: "
                        + "only for failure and mixed policies; a backup request retries on delay alone)");
            }
            return new RetryPolicy(this);
        }
    }
}
