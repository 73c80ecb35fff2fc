package io.kitex4j.opentelemetry.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

import io.opentelemetry.context.propagation.TextMapGetter;

/**
 * Reads propagation fields from the transient metainfo a server received, as obs-opentelemetry's carrier does:
 * its {@code Extract} first converts every key CGI-style to an HTTP header name ({@code metainfo.
 * CGIVariableToHTTPHeader}: lower case, {@code _} to {@code -}), so {@code RPC_TRANSIT_TRACEPARENT} and
 * {@code RPC_TRANSIT_traceparent} both continue a trace. Instead of building the converted map per request, a
 * lookup tries the exact key, then compares converted keys in place: the same answer without the copy. The
 * {@link Carrier} remembers, from the first lookup that misses, whether any key converts to something else at all;
 * when none does (what Kitex and kitex4j clients send: {@code b3}, {@code traceparent}, ...), a missing key is
 * missing without another look at the map, and the keys are listed as they are.
 */
final class MetainfoCarriers {

    private MetainfoCarriers() {
    }

    /** One request's transients, as the getter reads them. */
    static final class Carrier implements BiConsumer<String, String> {
        private static final byte UNKNOWN = 0;
        private static final byte ALL_CONVERTED = 1;
        private static final byte SOME_NOT = 2;

        final Map<String, String> map;
        private byte keys = UNKNOWN;

        Carrier(Map<String, String> map) {
            this.map = map;
        }

        /** Whether every key is its own {@link #toHttpHeader} form (checked once, on the first call). */
        boolean allKeysConverted() {
            if (keys == UNKNOWN) {
                keys = ALL_CONVERTED;
                map.forEach(this);
            }
            return keys == ALL_CONVERTED;
        }

        /** The check of one key, for {@code map.forEach(this)}: no iterator, no lambda. */
        @Override
        public void accept(String key, String value) {
            if (keys == ALL_CONVERTED && !isHttpHeader(key)) {
                keys = SOME_NOT;
            }
        }
    }

    /** The getter over a server's readable transients (Go's {@code metainfo.GetAllValues}). */
    static final TextMapGetter<Carrier> GETTER = new TextMapGetter<>() {
        // Deprecated in the API, but still what OtTracePropagator calls to find ot-baggage-* keys.
        @SuppressWarnings("deprecation")
        @Override
        public Iterable<String> keys(Carrier carrier) {
            if (carrier.allKeysConverted()) {
                return carrier.map.keySet();
            }
            // Only when some key needs converting: rare enough to build a list.
            final List<String> keys = new ArrayList<>(carrier.map.size());
            for (String k : carrier.map.keySet()) {
                keys.add(toHttpHeader(k));
            }
            return keys;
        }

        @Override
        public String get(Carrier carrier, String key) {
            if (carrier == null || key == null) {
                return null;
            }
            final Map<String, String> map = carrier.map;
            final String v = map.get(key);
            if (v != null || map.isEmpty() || carrier.allKeysConverted()) {
                return v;
            }
            for (Map.Entry<String, String> e : map.entrySet()) {
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

    /** Whether {@link #toHttpHeader}{@code (key)} is {@code key} itself, without building it. */
    static boolean isHttpHeader(String key) {
        return convertsTo(key, key);
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
