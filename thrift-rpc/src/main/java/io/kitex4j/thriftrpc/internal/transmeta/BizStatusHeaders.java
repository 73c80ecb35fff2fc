package io.kitex4j.thriftrpc.internal.transmeta;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import java.io.IOException;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a {@link BizStatusException} travels in a TTHeader response (Kitex's
 * {@code transmeta.ParseBizStatusErr} and {@code serverTTHeaderHandler.WriteMeta}):
 * <pre>
 * biz-status   "1001"                      int32, decimal
 * biz-message  "no stock"                  always written, may be empty
 * biz-extra    "{\"sku\":\"42\"}"          a JSON object of strings, only if there is extra
 * </pre>
 */
public final class BizStatusHeaders {

    // Strict JSON, duplicate names allowed (Go keeps the last one).
    private static final JsonFactory JSON = new JsonFactory();

    private BizStatusHeaders() {
    }

    /**
     * Adds {@code biz-status}, {@code biz-message} and (if there is extra information) {@code biz-extra}
     * to a response header, as Kitex's {@code serverTTHeaderHandler.WriteMeta} does.
     */
    public static void writeTo(BizStatusException e, TTHeader.Builder builder) {
        requireNonNull(builder, "builder");
        builder.string(MetaKeys.BIZ_STATUS, Integer.toString(e.statusCode()));
        builder.string(MetaKeys.BIZ_MESSAGE, e.statusMessage());
        if (!e.extra().isEmpty()) {
            builder.string(MetaKeys.BIZ_EXTRA, toJson(e.extra()));
        }
    }

    /**
     * The business error carried by a response header, as Kitex's client reads it
     * ({@code transmeta.ParseBizStatusErr}): {@code null} if {@code biz-status} is absent, is not an
     * int32 in decimal, or is 0.
     *
     * @param header the response header; {@code null} (no TTHeader) gives {@code null}
     * @throws KitexCodecException if {@code biz-extra} is present but not a JSON object of strings; Kitex
     *     fails the call with {@code "malformed header info, extra: ..."} then, and so should the caller
     */
    public static BizStatusException fromResponse(TTHeader header) {
        return header == null ? null : fromResponse(header.strings());
    }

    /** As {@link #fromResponse(TTHeader)}, from the response header's string key-values. */
    public static BizStatusException fromResponse(Map<String, String> strings) {
        final String status = strings.get(MetaKeys.BIZ_STATUS);
        if (status == null) {
            return null;
        }
        final Integer code = parseInt32(status);
        if (code == null || code == 0) {
            return null;
        }
        final String message = strings.getOrDefault(MetaKeys.BIZ_MESSAGE, "");
        final String extraJson = strings.get(MetaKeys.BIZ_EXTRA);
        if (extraJson == null || extraJson.isEmpty()) {
            return new BizStatusException(code, message);
        }
        final Map<String, String> extra;
        try {
            extra = parseExtra(extraJson);
        } catch (IOException | IllegalArgumentException e) {
            throw new KitexCodecException(KitexCodecException.Kind.MALFORMED,
                                          "malformed header info, extra: " + extraJson + " (" + e.getMessage() + ')',
                                          e);
        }
        return new BizStatusException(code, message, extra);
    }

    /**
     * Go's {@code strconv.ParseInt(s, 10, 32)}: optional sign, ASCII digits only, no spaces, in int32
     * range. Returns null where Go returns an error.
     */
    public static Integer parseInt32(String s) {
        final int n = s.length();
        int i = 0;
        boolean negative = false;
        if (n > 0 && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
            negative = s.charAt(0) == '-';
            i = 1;
        }
        if (i == n) {
            return null;
        }
        long value = 0;
        for (; i < n; i++) {
            final char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            value = value * 10 + (c - '0');
            if (value > 1L << 31) {
                return null;
            }
        }
        value = negative ? -value : value;
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            return null;
        }
        return (int) value;
    }

    /**
     * Go's {@code json.Unmarshal} into {@code map[string]string}: an object whose values are strings
     * ({@code null} values become ""), or {@code null} for no map. Numbers, booleans, nested values and
     * trailing data are errors.
     */
    public static Map<String, String> parseExtra(String json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            final JsonToken first = p.nextToken();
            if (first == JsonToken.VALUE_NULL) {
                expectEnd(p);
                return Map.of();
            }
            if (first != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            final Map<String, String> out = new LinkedHashMap<>();
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                final String name = p.currentName();
                final JsonToken v = p.nextToken();
                if (v == JsonToken.VALUE_STRING) {
                    out.put(name, p.getText());
                } else if (v == JsonToken.VALUE_NULL) {
                    out.put(name, "");
                } else {
                    throw new IllegalArgumentException("value of \"" + name + "\" is not a string");
                }
            }
            expectEnd(p);
            return out;
        }
    }

    private static void expectEnd(JsonParser p) throws IOException {
        if (p.nextToken() != null) {
            throw new IllegalArgumentException("trailing data after the JSON value");
        }
    }

    /** A compact JSON object, keys in map order (Go's order is random anyway). */
    public static String toJson(Map<String, String> map) {
        final StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            for (Map.Entry<String, String> e : map.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot happen with a StringWriter", e);
        }
        return w.toString();
    }
}
