package io.kitex4j.micrometer.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.kitex4j.core.Transport;

/**
 * The guard against unbounded tag values: at most {@code limit} distinct callers and callees per side, and methods
 * per callee; a value beyond that is tagged {@link #OTHER}. An empty value is tagged {@link #UNKNOWN}. Only used when
 * a call's meters are not cached yet, under the lock of its owner.
 */
final class TagValues {

    /** The tag value of a value past the limit. */
    static final String OTHER = "other";
    /** The tag value of an empty one. */
    static final String UNKNOWN = "unknown";

    private final int limit;
    private final Set<String> callers = new HashSet<>();
    private final Set<String> callees = new HashSet<>();
    private final Map<String, Set<String>> methodsByCallee = new HashMap<>();

    TagValues(int limit) {
        this.limit = limit;
    }

    String caller(String caller) {
        return admit(callers, caller);
    }

    String callee(String callee) {
        return admit(callees, callee);
    }

    /** The method's tag value; {@code callee} is the callee's tag value. */
    String method(String callee, String method) {
        return admit(methodsByCallee.computeIfAbsent(callee, c -> new HashSet<>()), method);
    }

    private String admit(Set<String> seen, String value) {
        if (value == null || value.isEmpty()) {
            return UNKNOWN;
        }
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= limit) {
            return OTHER;
        }
        seen.add(value);
        return value;
    }

    /** The transport's tag value: its enum name in lower case ({@code ttheader_framed}). */
    static String transport(Transport transport) {
        return transport == null ? UNKNOWN : transport.name().toLowerCase(Locale.ROOT);
    }

    /** {@code value}, or {@link #UNKNOWN} if it is null or empty. */
    static String orUnknown(String value) {
        return value == null || value.isEmpty() ? UNKNOWN : value;
    }
}
