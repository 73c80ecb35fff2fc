package io.kitex4j.governance;

import java.time.Duration;
import java.util.Objects;

/**
 * How long a failure retry waits before the next attempt, Kitex's {@code retry.BackOffPolicy}: none (the
 * default), a fixed delay ({@code fix_ms}) or a random delay in {@code [min_ms, max_ms)}. Immutable.
 */
public final class Backoff {

    /** The backoff type, as config-etcd's {@code backoff_type} spells it. */
    public enum Type {
        /** No wait: {@code "none"}. */
        NONE("none"),
        /** {@link #fixed()}: {@code "fixed"}. */
        FIXED("fixed"),
        /** Uniform in {@code [min, max)}: {@code "random"}. */
        RANDOM("random");

        private final String configName;

        Type(String configName) {
            this.configName = configName;
        }

        /** The name config-etcd uses ({@code none}, {@code fixed}, {@code random}). */
        public String configName() {
            return configName;
        }
    }

    private static final Backoff NONE = new Backoff(Type.NONE, Duration.ZERO, Duration.ZERO);

    private final Type type;
    private final Duration min;
    private final Duration max;

    private Backoff(Type type, Duration min, Duration max) {
        this.type = type;
        this.min = min;
        this.max = max;
    }

    /** No wait between attempts (Kitex's default). */
    public static Backoff none() {
        return NONE;
    }

    /**
     * The same wait before each retry.
     *
     * @throws IllegalArgumentException if {@code delay} is not positive (Kitex rejects {@code fix_ms=0})
     */
    public static Backoff fixed(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative() || delay.isZero()) {
            throw new IllegalArgumentException("delay: " + delay + " (expected: > 0)");
        }
        return new Backoff(Type.FIXED, delay, delay);
    }

    /**
     * A wait drawn uniformly from {@code [min, max)} before each retry.
     *
     * @throws IllegalArgumentException if {@code min} is negative or {@code max <= min} (as Kitex's
     *     {@code checkRandomBackOff})
     */
    public static Backoff random(Duration min, Duration max) {
        Objects.requireNonNull(min, "min");
        Objects.requireNonNull(max, "max");
        if (min.isNegative()) {
            throw new IllegalArgumentException("min: " + min + " (expected: >= 0)");
        }
        if (max.compareTo(min) <= 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: > min, " + min + ")");
        }
        return new Backoff(Type.RANDOM, min, max);
    }

    /** The type. */
    public Type type() {
        return type;
    }

    /** The fixed wait, or the lower bound of the random one; zero for {@link Type#NONE}. */
    public Duration min() {
        return min;
    }

    /** The fixed wait, or the (exclusive) upper bound of the random one; zero for {@link Type#NONE}. */
    public Duration max() {
        return max;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Backoff b && b.type == type && b.min.equals(min) && b.max.equals(max);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, min, max);
    }

    @Override
    public String toString() {
        return switch (type) {
            case NONE -> "Backoff{none}";
            case FIXED -> "Backoff{fixed " + min.toMillis() + "ms}";
            case RANDOM -> "Backoff{random " + min.toMillis() + "-" + max.toMillis() + "ms}";
        };
    }
}
