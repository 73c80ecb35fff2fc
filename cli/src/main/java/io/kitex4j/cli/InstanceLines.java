package io.kitex4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kitex4j.registry.Instance;
import java.util.LinkedHashMap;
import java.util.Map;

/** How the CLI prints an instance: one line of text, or one JSON object per line. */
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

    private static String tagsText(Map<String, String> tags) {
        final StringBuilder sb = new StringBuilder();
        tags.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }
}
