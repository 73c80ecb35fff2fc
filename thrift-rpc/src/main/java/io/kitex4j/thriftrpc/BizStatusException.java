package io.kitex4j.thriftrpc;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.kitex4j.thriftrpc.codec.KitexCodecException;
import io.kitex4j.thriftrpc.codec.MetaKeys;
import io.kitex4j.thriftrpc.codec.TTHeader;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Kitex business status error ({@code kerrors.BizStatusError}), in both directions.
 *
 * <p><b>Server:</b> a handler throws it (e.g. {@code throw new BizStatusException(1001, "no stock")});
 * the server replies with a normal REPLY whose result struct is empty, and puts the status in the
 * response's TTHeader string keys with {@link #writeTo}:
 * <pre>
 * biz-status   "1001"                      int32, decimal
 * biz-message  "no stock"                  always written, may be empty
 * biz-extra    "{\"sku\":\"42\"}"          a JSON object of strings, only if there is extra
 * </pre>
 * <b>Client:</b> {@link #fromResponse} rebuilds it from a response header; the call then fails with it.
 * As with Kitex, this needs a TTHeader transport: over Buffered or Framed the status is silently lost and
 * the caller sees an empty success.
 */
public final class BizStatusException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    // Strict JSON, duplicate names allowed (Go keeps the last one).
    private static final JsonFactory JSON = new JsonFactory();

    private final int statusCode;
    private final String statusMessage;
    private final Map<String, String> extra;

    /** A business error without extra information. */
    public BizStatusException(int statusCode, String statusMessage) {
        this(statusCode, statusMessage, Map.of());
    }

    /**
     * A business error with extra information.
     *
     * @param statusCode the status; Kitex clients ignore 0 ("no error")
     * @param statusMessage the message
     * @param extra string key-values, sent as a JSON object
     */
    public BizStatusException(int statusCode, String statusMessage, Map<String, String> extra) {
        // Kitex's BizStatusError.Error() text.
        super("biz error: code=" + statusCode + ", msg=" + requireNonNull(statusMessage, "statusMessage"));
        this.statusCode = statusCode;
        this.statusMessage = statusMessage;
        this.extra = requireNonNull(extra, "extra").isEmpty()
                     ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** The business status code. */
    public int statusCode() {
        return statusCode;
    }

    /** The business status message. */
    public String statusMessage() {
        return statusMessage;
    }

    /** The extra information, unmodifiable; empty if none. */
    public Map<String, String> extra() {
        return extra;
    }

    /**
     * Adds {@code biz-status}, {@code biz-message} and (if there is extra information) {@code biz-extra}
     * to a response header, as Kitex's {@code serverTTHeaderHandler.WriteMeta} does.
     */
    public void writeTo(TTHeader.Builder builder) {
        requireNonNull(builder, "builder");
        builder.string(MetaKeys.BIZ_STATUS, Integer.toString(statusCode));
        builder.string(MetaKeys.BIZ_MESSAGE, statusMessage);
        if (!extra.isEmpty()) {
            builder.string(MetaKeys.BIZ_EXTRA, toJson(extra));
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
    static Integer parseInt32(String s) {
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
    static Map<String, String> parseExtra(String json) throws IOException {
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
    static String toJson(Map<String, String> map) {
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
