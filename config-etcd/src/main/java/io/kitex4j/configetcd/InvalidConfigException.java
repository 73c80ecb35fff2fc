package io.kitex4j.configetcd;

import java.util.Objects;

/**
 * A config-etcd value that kitex4j refuses: not JSON, a field of the wrong JSON type, or a value out of
 * Kitex's bounds (an unknown backoff type, negative retries, ...). The message starts with the
 * {@link #field()} at fault, e.g. {@code ["Echo"].failure_policy.stop_policy.max_retry_times: -1 (expected: 0..5)}.
 */
public final class InvalidConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * A rejection of {@code field}.
     *
     * @param field the JSON path of the field at fault ({@code ""} for the whole value)
     * @param detail what is wrong with it, ideally with {@code (expected: ...)}
     */
    public InvalidConfigException(String field, String detail) {
        super((Objects.requireNonNull(field, "field").isEmpty() ? "value" : field) + ": "
                + Objects.requireNonNull(detail, "detail"));
        this.field = field;
    }

    /** The JSON path of the field at fault, {@code ""} for the whole value (for instance, not JSON). */
    public String field() {
        return field;
    }
}
