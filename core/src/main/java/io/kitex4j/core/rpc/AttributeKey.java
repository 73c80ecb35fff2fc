package io.kitex4j.core.rpc;

import static java.util.Objects.requireNonNull;

/**
 * A typed key for values middleware keeps in a {@link CallContext}, such as a span or a start time.
 * Keys compare by identity: keep one as a constant.
 *
 * @param <T> the type of the value
 */
public final class AttributeKey<T> {

    private final String name;

    private AttributeKey(String name) {
        this.name = name;
    }

    /** A new key; {@code name} is for {@link #toString()} only. */
    public static <T> AttributeKey<T> of(String name) {
        return new AttributeKey<>(requireNonNull(name, "name"));
    }

    /** The name given at creation. */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "AttributeKey(" + name + ')';
    }
}
