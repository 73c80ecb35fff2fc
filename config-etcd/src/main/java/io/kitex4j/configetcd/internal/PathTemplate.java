package io.kitex4j.configetcd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The subset of Go's {@code text/template} config-etcd's path formats use: literal text and the actions
 * {@code {{.Category}}}, {@code {{.ClientServiceName}}} and {@code {{.ServerServiceName}}} (spaces inside
 * the braces allowed). Anything else in braces is refused when the watcher is built, rather than
 * rendered differently from Go.
 */
public final class PathTemplate {

    /** The fields of config-etcd's {@code ConfigParamConfig}. */
    public static final List<String> FIELDS = List.of("Category", "ClientServiceName", "ServerServiceName");

    private static final Pattern ACTION = Pattern.compile("\\{\\{-?\\s*\\.([A-Za-z]+)\\s*-?}}");

    private final String format;
    /** Alternating literal text and field names (odd indexes). */
    private final List<String> parts;

    private PathTemplate(String format, List<String> parts) {
        this.format = format;
        this.parts = parts;
    }

    /**
     * Parses {@code format}.
     *
     * @throws IllegalArgumentException naming {@code option} for an action other than the three fields
     */
    public static PathTemplate parse(String option, String format) {
        final List<String> parts = new ArrayList<>();
        final Matcher m = ACTION.matcher(format);
        int at = 0;
        while (m.find()) {
            if (!FIELDS.contains(m.group(1))) {
                throw new IllegalArgumentException(option + ": '" + format + "' uses {{." + m.group(1)
                        + "}} (expected: only {{.Category}}, {{.ClientServiceName}} and {{.ServerServiceName}})");
            }
            parts.add(format.substring(at, m.start()));
            parts.add(m.group(1));
            at = m.end();
        }
        final String tail = format.substring(at);
        for (String literal : parts.isEmpty() ? List.of(tail) : literalsAnd(parts, tail)) {
            if (literal.contains("{{") || literal.contains("}}")) {
                throw new IllegalArgumentException(option + ": '" + format + "' has a template action kitex4j does not"
                        + " render (expected: only {{.Category}}, {{.ClientServiceName}} and {{.ServerServiceName}})");
            }
        }
        parts.add(tail);
        return new PathTemplate(format, List.copyOf(parts));
    }

    private static List<String> literalsAnd(List<String> parts, String tail) {
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i += 2) {
            out.add(parts.get(i));
        }
        out.add(tail);
        return out;
    }

    /** Renders with the given field values (a missing field renders as Go's zero value, ""). */
    public String render(Map<String, String> values) {
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            out.append(i % 2 == 0 ? parts.get(i) : values.getOrDefault(parts.get(i), ""));
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return format;
    }
}
