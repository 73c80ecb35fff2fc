package io.kitex4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.SkippedKey;
import io.kitex4j.registry.RegistryEntry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the CLI prints an instance or a skipped key: one line of text, or one JSON object per line.
 * {@code ls} and {@code watch} print through here, so the same view looks the same in both.
 */
final class InstanceLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private InstanceLines() {}

    static String text(String service, Instance i) {
        return service + "\t" + i.address() + "\tweight=" + i.weight()
                + (i.tags().isEmpty() ? "" : "\ttags=" + tagsText(i.tags()));
    }

    /**
     * {@code ls}'s line: the weight a Kitex client uses (a stored weight &le; 0 is used as 10), and
     * the stored one beside it when they differ, {@code weight=10 (stored 0)}.
     */
    static String text(String service, RegistryEntry entry) {
        final Instance i = entry.instance();
        return service + "\t" + i.address() + "\tweight=" + i.weight()
                + (entry.weightDefaulted() ? " (stored " + entry.storedWeight() + ")" : "")
                + (i.tags().isEmpty() ? "" : "\ttags=" + tagsText(i.tags()));
    }

    static String json(String service, Instance i, String event) {
        return write(fields(service, i, event, null, i.tags()));
    }

    /**
     * {@code ls}'s JSON: as {@link #json(String, Instance, String)}, with {@code storedWeight} only
     * when it differs from {@code weight}, and {@code "tags":null} where etcd holds null (or no tags).
     */
    static String json(String service, RegistryEntry entry) {
        final Instance i = entry.instance();
        return write(fields(service, i, null, entry.weightDefaulted() ? entry.storedWeight() : null,
                            entry.storedTagsNull() ? null : i.tags()));
    }

    private static Map<String, Object> fields(String service, Instance i, String event, Integer storedWeight,
                                              Map<String, String> tags) {
        final Map<String, Object> o = new LinkedHashMap<>();
        if (event != null) {
            o.put("event", event);
        }
        o.put("service", service);
        o.put("network", i.network());
        o.put("address", i.address());
        o.put("weight", i.weight());
        if (storedWeight != null) {
            o.put("storedWeight", storedWeight);
        }
        o.put("tags", tags);
        return o;
    }

    private static String write(Map<String, Object> o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The stderr line for a skipped key; key and reason come from etcd, so they are escaped. */
    static String skippedText(SkippedKey skipped) {
        return "kitex4j: skipped " + LogValues.escape(skipped.key(), 512) + ": "
                + LogValues.escape(skipped.skipReason(), 512);
    }

    /** A skipped key as one JSON object: {@code {"service":...,"key":...,"skipped":"<reason>"}}. */
    static String skippedJson(String service, SkippedKey skipped, String event) {
        final Map<String, Object> o = new LinkedHashMap<>();
        if (event != null) {
            o.put("event", event);
        }
        o.put("service", service);
        o.put("key", skipped.key());
        o.put("skipped", skipped.skipReason());
        return write(o);
    }

    private static String tagsText(Map<String, String> tags) {
        final StringBuilder sb = new StringBuilder();
        tags.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
