package io.kitex4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.SkippedKey;
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

    static String json(String service, Instance i, String event) {
        final Map<String, Object> o = new LinkedHashMap<>();
        if (event != null) {
            o.put("event", event);
        }
        o.put("service", service);
        o.put("network", i.network());
        o.put("address", i.address());
        o.put("weight", i.weight());
        o.put("tags", i.tags());
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
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tagsText(Map<String, String> tags) {
        final StringBuilder sb = new StringBuilder();
        tags.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
