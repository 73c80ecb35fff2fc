package io.kitex4j.opentelemetry.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.opentelemetry.context.propagation.TextMapGetter;

/**
 * Reads propagation fields from the transient metainfo a server received, as obs-opentelemetry's carrier does:
 * its {@code Extract} first converts every key CGI-style to an HTTP header name ({@code metainfo.
 * CGIVariableToHTTPHeader}: lower case, {@code _} to {@code -}), so {@code RPC_TRANSIT_TRACEPARENT} and
 * {@code RPC_TRANSIT_traceparent} both continue a trace. Instead of building the converted map per request, a
 * lookup tries the exact key, then compares converted keys in place: the same answer without the copy.
 */
final class MetainfoCarriers {

    private MetainfoCarriers() {
    }

    /** The getter over a server's readable transients (Go's {@code metainfo.GetAllValues}). */
    static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        // Deprecated in the API, but still what OtTracePropagator calls to find ot-baggage-* keys.
        @SuppressWarnings("deprecation")
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            // Only the OT propagator lists keys (for ot-baggage-*), and only once it found a trace: rare enough
            // to build a list.
            final List<String> keys = new ArrayList<>(carrier.size());
            for (String k : carrier.keySet()) {
                keys.add(toHttpHeader(k));
            }
            return keys;
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            if (carrier == null || key == null) {
                return null;
            }
            final String v = carrier.get(key);
            if (v != null || carrier.isEmpty()) {
                return v;
            }
            for (Map.Entry<String, String> e : carrier.entrySet()) {
                if (convertsTo(e.getKey(), key)) {
                    return e.getValue();
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return "kitex4j metainfo getter";
        }
    };

    /** Go's {@code metainfo.CGIVariableToHTTPHeader}: {@code strings.ToLower(strings.ReplaceAll(key, "_", "-"))}. */
    static String toHttpHeader(String key) {
        return key.replace('_', '-').toLowerCase(Locale.ROOT);
    }

    /** Whether {@link #toHttpHeader}{@code (raw)} equals {@code header}, without building it. */
    static boolean convertsTo(String raw, String header) {
        final int n = raw.length();
        if (n != header.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '_') {
                c = '-';
            } else if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            } else if (c >= 0x80) {
                c = Character.toLowerCase(c);
            }
            if (c != header.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
