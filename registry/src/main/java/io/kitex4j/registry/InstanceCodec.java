package io.kitex4j.registry;

import io.kitex4j.core.discovery.Instance;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry value, byte for byte as registry-etcd's Go code reads and writes it.
 *
 * <h2>Writing</h2>
 * {@link #encode(Instance)} produces what Go's {@code json.Marshal(instanceInfo)} produces:
 * <pre>
 * {"network":"tcp","address":"10.0.0.5:8888","weight":10,"tags":null}
 * {"network":"tcp","address":"10.0.0.5:8888","weight":10,"tags":{"cluster":"a&#92;u0026b","zone":"z1"}}
 * </pre>
 * Compact, fields in struct order, tag keys sorted by their UTF-8 bytes, no tags written as
 * {@code null}, and Go's string escaping: {@code < > &} as {@code &#92;u003c &#92;u003e &#92;u0026}, U+2028
 * and U+2029 escaped, control characters as {@code \n \r \t \b \f} or {@code &#92;u00XX}.
 *
 * <h2>Reading</h2>
 * {@link #decode(byte[])} is exactly as lenient as {@code json.Unmarshal}: field names match
 * case-insensitively (an exact match wins), unknown fields are ignored, a repeated field's last
 * value wins, {@code null} leaves a field as it was, and a missing field takes its zero value.
 * What Go refuses, this refuses: a non-integer {@code weight} ({@code 7.0}, {@code 1e1},
 * {@code "7"}), a tag value that is not a string, a top-level value that is not an object, and
 * trailing data. The one deliberate difference: a weight outside Java's {@code int} range is
 * refused, where Go's 64-bit {@code int} would take it.
 *
 * <p>Readers do not call {@link #decode(byte[])} directly but {@link RegistryEntry#decode}, which
 * also skips instances no client could dial and applies the default weight.
 */
public final class InstanceCodec {

    // Strict JSON (no comments, NaN or leading zeros), duplicate names allowed: Go takes the last.
    private static final JsonFactory JSON = new JsonFactory();

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private InstanceCodec() {}

    /** Encodes as Go's {@code json.Marshal} does. */
    public static String encode(Instance instance) {
        requireNonNull(instance, "instance");
        final StringBuilder out = new StringBuilder(96);
        out.append("{\"network\":");
        appendGoString(out, instance.network());
        out.append(",\"address\":");
        appendGoString(out, instance.address());
        out.append(",\"weight\":").append(instance.weight());
        out.append(",\"tags\":");
        final Map<String, String> tags = instance.tags();
        if (tags.isEmpty()) {
            out.append("null");
        } else {
            out.append('{');
            final List<String> keys = new ArrayList<>(tags.keySet());
            keys.sort(InstanceCodec::compareUtf8);
            boolean first = true;
            for (String key : keys) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                appendGoString(out, key);
                out.append(':');
                appendGoString(out, tags.get(key));
            }
            out.append('}');
        }
        return out.append('}').toString();
    }

    /** {@link #encode(Instance)} as UTF-8 bytes. */
    public static byte[] encodeUtf8(Instance instance) {
        return encode(instance).getBytes(StandardCharsets.UTF_8);
    }

    /** Decodes a UTF-8 value as Go's {@code json.Unmarshal} does. */
    public static Instance decode(String json) throws InvalidInstanceException {
        requireNonNull(json, "json");
        return decode(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes a UTF-8 value as Go's {@code json.Unmarshal} does. */
    public static Instance decode(byte[] json) throws InvalidInstanceException {
        return decodeStored(json).instance();
    }

    /**
     * A decoded value and what {@link Instance} does not keep of it: whether {@code tags} was
     * {@code null} or absent (Go's nil map), as opposed to an empty object.
     */
    record Stored(Instance instance, boolean tagsNull) {}

    /** Decodes as {@link #decode(byte[])}, telling also whether the tags were {@code null}. */
    static Stored decodeStored(byte[] json) throws InvalidInstanceException {
        requireNonNull(json, "json");
        try (JsonParser parser = JSON.createParser(json)) {
            final JsonToken first = parser.nextToken();
            if (first == null) {
                throw new InvalidInstanceException("empty value");
            }
            final Stored instance;
            if (first == JsonToken.VALUE_NULL) {
                // Go: Unmarshal("null", &s) is a no-op, leaving the zero value.
                instance = new Stored(new Instance("", "", 0, Map.of()), true);
            } else if (first == JsonToken.START_OBJECT) {
                instance = readObject(parser);
            } else {
                throw new InvalidInstanceException("expected a JSON object, got " + describe(first));
            }
            final JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                throw new InvalidInstanceException("unexpected data after the JSON object: " + describe(trailing));
            }
            return instance;
        } catch (IOException e) {
            throw new InvalidInstanceException("malformed JSON: " + firstLine(e.getMessage()), e);
        }
    }

    private static Stored readObject(JsonParser parser) throws IOException, InvalidInstanceException {
        String network = "";
        String address = "";
        int weight = 0;
        Map<String, String> tags = null;
        InvalidInstanceException typeError = null;
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            final String name = parser.currentName();
            final JsonToken value = parser.nextToken();
            final Field field = Field.match(name);
            if (field == null) {
                parser.skipChildren();
                continue;
            }
            // Go keeps decoding after a type error and reports the first one at the end.
            try {
                switch (field) {
                    case NETWORK -> network = readString(parser, value, "network", network);
                    case ADDRESS -> address = readString(parser, value, "address", address);
                    case WEIGHT -> weight = readWeight(parser, value, weight);
                    case TAGS -> {
                        if (value == JsonToken.VALUE_NULL) {
                            tags = null;
                        } else if (value == JsonToken.START_OBJECT) {
                            // Go decodes into the existing map, so a repeated "tags" merges.
                            tags = readTags(parser, tags == null ? new LinkedHashMap<>() : tags);
                        } else {
                            parser.skipChildren();
                            throw new InvalidInstanceException("tags: expected an object, got " + describe(value));
                        }
                    }
                }
            } catch (InvalidInstanceException e) {
                if (typeError == null) {
                    typeError = e;
                }
            }
        }
        if (token != JsonToken.END_OBJECT) {
            throw new InvalidInstanceException("malformed JSON object");
        }
        if (typeError != null) {
            throw typeError;
        }
        return new Stored(new Instance(network, address, weight, tags), tags == null);
    }

    private static String readString(JsonParser parser, JsonToken value, String field, String current)
            throws IOException, InvalidInstanceException {
        if (value == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (value == JsonToken.VALUE_NULL) {
            return current;
        }
        parser.skipChildren();
        throw new InvalidInstanceException(field + ": expected a string, got " + describe(value));
    }

    private static int readWeight(JsonParser parser, JsonToken value, int current)
            throws IOException, InvalidInstanceException {
        if (value == JsonToken.VALUE_NULL) {
            return current;
        }
        if (value == JsonToken.VALUE_NUMBER_INT) {
            if (parser.getNumberType() != JsonParser.NumberType.INT) {
                throw new InvalidInstanceException("weight: " + parser.getText() + " is out of range");
            }
            return parser.getIntValue();
        }
        final String text = value == JsonToken.VALUE_STRING ? '"' + parser.getText() + '"' : describe(value);
        parser.skipChildren();
        throw new InvalidInstanceException("weight: expected an integer, got " + text);
    }

    private static Map<String, String> readTags(JsonParser parser, Map<String, String> into)
            throws IOException, InvalidInstanceException {
        InvalidInstanceException typeError = null;
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            final String key = parser.currentName();
            final JsonToken value = parser.nextToken();
            if (value == JsonToken.VALUE_STRING) {
                into.put(key, parser.getText());
            } else if (value == JsonToken.VALUE_NULL) {
                // Go decodes null into a fresh zero-valued map element: "".
                into.put(key, "");
            } else {
                parser.skipChildren();
                if (typeError == null) {
                    typeError = new InvalidInstanceException(
                            "tags." + key + ": expected a string, got " + describe(value));
                }
            }
        }
        if (token != JsonToken.END_OBJECT) {
            throw new InvalidInstanceException("malformed tags object");
        }
        if (typeError != null) {
            throw typeError;
        }
        return into;
    }

    private enum Field {
        NETWORK("network"), ADDRESS("address"), WEIGHT("weight"), TAGS("tags");

        private final String jsonName;

        Field(String jsonName) {
            this.jsonName = jsonName;
        }

        static Field match(String name) {
            for (Field f : values()) {
                if (f.jsonName.equals(name)) {
                    return f;
                }
            }
            for (Field f : values()) {
                if (f.jsonName.equalsIgnoreCase(name)) {
                    return f;
                }
            }
            return null;
        }
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.toString();
        };
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        final int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** Go's {@code encodeState.string} with HTML escaping on, as {@code json.Marshal} uses it. */
    static void appendGoString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> appendUnicodeEscape(out, c);
                default -> {
                    if (c < 0x20) {
                        appendUnicodeEscape(out, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        // A lone surrogate is not valid UTF-8; Go writes invalid bytes as U+FFFD.
                        out.append("\\ufffd");
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void appendUnicodeEscape(StringBuilder out, char c) {
        out.append("\\u")
                .append(HEX[(c >> 12) & 0xF])
                .append(HEX[(c >> 8) & 0xF])
                .append(HEX[(c >> 4) & 0xF])
                .append(HEX[c & 0xF]);
    }

    private static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
