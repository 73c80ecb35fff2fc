package io.kitex4j.thriftrpc.internal.codec;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metadata of one TTHeader frame: flags, sequence id, protocol id and the key-value blocks.
 * Immutable; build one with {@link #builder()}, or derive one with {@link #toBuilder()}.
 *
 * <h2>Byte layout</h2>
 * (from {@code gopkg/protocol/ttheader/encode.go}; all integers big-endian)
 * <pre>
 * +----------------+----------------+----------------+-------+----------------------------------+
 * | LENGTH (u32)   | 0x1000 | FLAGS | SEQUENCE ID    | HSIZE | header info (HSIZE * 4 bytes) ... |
 * +----------------+----------------+----------------+-------+----------------------------------+
 *   0                4                8                12      14
 *   LENGTH = bytes after this field (header + payload); HSIZE = header info length / 4
 *
 * header info:
 * +-------------+----------------+-------------------+--------------------------+---------------+
 * | PROTOCOL ID | NUM TRANSFORMS | TRANSFORM IDs ... | info blocks ...          | 00 padding    |
 * +-------------+----------------+-------------------+--------------------------+---------------+
 *
 * info blocks:
 *   0x00 PADDING        (1 byte, skipped)
 *   0x01 KEYVALUE       u16 count, count x (u16 len, key bytes, u16 len, value bytes)
 *   0x10 INTKEYVALUE    u16 count, count x (u16 key, u16 len, value bytes)
 *   0x11 ACL_TOKEN      u16 len, token bytes  (decoded as string key "RPC_TRANSIT_gdpr-token")
 * </pre>
 *
 * <p>Strings are UTF-8 here (Go strings are raw bytes; every key and value Kitex writes is ASCII or
 * UTF-8). On encode kitex4j writes flags as given (normally 0), the Thrift payload's seqId, protocol id
 * 0, no transforms, then the ACL token (if {@link MetaKeys#GDPR_TOKEN} is set), the string block and
 * the integer block (each only if non-empty, entries in map order), and zero padding to a multiple of 4
 * bytes. An empty header is {@code 00 00 00 00} with HSIZE 1.
 *
 * <h2>Limits</h2>
 * A header info block of up to {@link #MAX_DECODE_HEADER_BYTES} is accepted (Kitex v0.16+); at most
 * {@link #MAX_ENCODE_HEADER_BYTES} is written, so that Kitex releases before v0.16 can read it, and no
 * string may exceed {@link #MAX_STRING_BYTES} UTF-8 bytes. Both are checked when the header is encoded
 * ({@link KitexEncodeException}), not by the builder, because decoded headers may be larger.
 */
public final class TTHeader {

    /** The largest header info block accepted: {@code 4 * 65535} bytes, as Kitex v0.16+ (gopkg v0.1.8+). */
    public static final int MAX_DECODE_HEADER_BYTES = 262140;
    /** The largest header info block written: 64 KiB, the limit of Kitex before v0.16. */
    public static final int MAX_ENCODE_HEADER_BYTES = 65536;
    /** The longest key or value that can be written: a u16 length. */
    public static final int MAX_STRING_BYTES = 65535;

    /** Flag 0x0001: the sender supports out-of-order replies (Kitex mux connections). */
    public static final int FLAG_SUPPORT_OUT_OF_ORDER = 0x0001;
    /**
     * Flag 0x0002: TTHeader Streaming. A Kitex server routes such a connection to its streaming handler,
     * so a unary peer must never set it; the builder refuses it and the decoder rejects frames with it.
     */
    public static final int FLAG_STREAMING = 0x0002;
    /** Flag 0x0008: duplex reverse. */
    public static final int FLAG_DUPLEX_REVERSE = 0x0008;
    /** Flag 0x0010: SASL. */
    public static final int FLAG_SASL = 0x0010;

    /** Protocol id 0x00: Thrift Binary; what Kitex (and kitex4j) always write. */
    public static final int PROTOCOL_THRIFT_BINARY = 0x00;
    /** Protocol id 0x02: Thrift Compact, rejected by Kitex and kitex4j. */
    public static final int PROTOCOL_THRIFT_COMPACT = 0x02;
    /** Protocol id 0x03: Thrift CompactV2, accepted by Kitex "for compatibility"; the payload decides. */
    public static final int PROTOCOL_THRIFT_COMPACT_V2 = 0x03;
    /** Protocol id 0x04: Kitex Protobuf (Kitex sends 0x00 anyway). */
    public static final int PROTOCOL_KITEX_PROTOBUF = 0x04;
    /** Protocol id 0x10: TTHeader Streaming, Thrift struct only. */
    public static final int PROTOCOL_THRIFT_STRUCT = 0x10;
    /** Protocol id 0x11: TTHeader Streaming, Protobuf struct only. */
    public static final int PROTOCOL_PROTOBUF_STRUCT = 0x11;

    private static final TTHeader EMPTY = new TTHeader(0, 0, 0, Map.of(), Map.of());

    private final int flags;
    private final int seqId;
    private final int protocolId;
    private final Map<String, String> strings;
    private final Map<Integer, String> ints;

    // The maps must be unmodifiable and owned by this instance.
    TTHeader(int flags, int seqId, int protocolId, Map<String, String> strings, Map<Integer, String> ints) {
        this.flags = flags;
        this.seqId = seqId;
        this.protocolId = protocolId;
        this.strings = strings;
        this.ints = ints;
    }

    /** A header with no key-values, flags 0 and seqId 0. */
    public static TTHeader empty() {
        return EMPTY;
    }

    /** A builder with no key-values, flags 0 and seqId 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised with this header's flags, seqId and key-values. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.flags = flags;
        b.seqId = seqId;
        b.strings.putAll(strings);
        b.ints.putAll(ints);
        return b;
    }

    /** The FLAGS field (u16). */
    public int flags() {
        return flags;
    }

    /**
     * The SEQUENCE ID field. Kitex writes the Thrift message's seqId here; when decoding, the Thrift
     * payload's seqId is the one that counts (Kitex only logs a mismatch). {@link KitexFrameEncoder}
     * always writes the payload's seqId, whatever this says.
     */
    public int seqId() {
        return seqId;
    }

    /** The PROTOCOL ID byte as received ({@link #PROTOCOL_THRIFT_BINARY} for headers built here). */
    public int protocolId() {
        return protocolId;
    }

    /**
     * The string key-values (INFO_KEYVALUE), unmodifiable. A received ACL token (block {@code 0x11})
     * appears here as {@link MetaKeys#GDPR_TOKEN}. Order is the order received or added; Kitex writes
     * Go map order, so never depend on it.
     */
    public Map<String, String> strings() {
        return strings;
    }

    /** The integer key-values (INFO_INTKEYVALUE), keys 0..65535, unmodifiable. */
    public Map<Integer, String> ints() {
        return ints;
    }

    /** The string value of {@code key}, or {@code null}. */
    public String string(String key) {
        return strings.get(key);
    }

    /** The value of integer key {@code key} (see {@link MetaKeys}), or {@code null}. */
    public String intValue(int key) {
        return ints.get(key);
    }

    /** Whether there are no key-values at all (flags and seqId aside). */
    public boolean isEmpty() {
        return strings.isEmpty() && ints.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TTHeader)) {
            return false;
        }
        final TTHeader that = (TTHeader) o;
        return flags == that.flags && seqId == that.seqId && protocolId == that.protocolId
               && strings.equals(that.strings) && ints.equals(that.ints);
    }

    @Override
    public int hashCode() {
        return ((flags * 31 + seqId) * 31 + protocolId) * 31 + strings.hashCode() * 31 + ints.hashCode();
    }

    @Override
    public String toString() {
        return "TTHeader{flags=0x" + Integer.toHexString(flags) + ", seqId=" + seqId
               + (protocolId != 0 ? ", protocolId=" + protocolId : "")
               + ", strings=" + strings + ", ints=" + ints + '}';
    }

    /**
     * Builds a {@link TTHeader}. Not thread-safe. Adding a key again replaces its value; keys keep the
     * order in which they were first added, which is the order they are written in.
     */
    public static final class Builder {

        private int flags;
        private int seqId;
        private final Map<String, String> strings = new LinkedHashMap<>();
        private final Map<Integer, String> ints = new LinkedHashMap<>();

        Builder() {}

        /**
         * Sets FLAGS (u16). Kitex unary peers write 0. {@link #FLAG_STREAMING} is refused because a Kitex
         * server would route the connection to its TTHeader Streaming handler.
         *
         * @throws IllegalArgumentException if out of u16 range or the streaming flag is set
         */
        public Builder flags(int flags) {
            if ((flags & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("flags out of u16 range: 0x" + Integer.toHexString(flags));
            }
            if ((flags & FLAG_STREAMING) != 0) {
                throw new IllegalArgumentException(
                        "flag 0x0002 (TTHeader Streaming) must not be set on a unary call: a Kitex server would "
                        + "treat the connection as TTHeader Streaming");
            }
            this.flags = flags;
            return this;
        }

        /**
         * Sets SEQUENCE ID. Only informative: {@link KitexFrameEncoder} writes the payload's Thrift seqId,
         * as Kitex does.
         */
        public Builder seqId(int seqId) {
            this.seqId = seqId;
            return this;
        }

        /** Adds (or replaces) a string key-value. */
        public Builder string(String key, String value) {
            strings.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
            return this;
        }

        /** Adds (or replaces) every string key-value of {@code map}. */
        public Builder strings(Map<String, String> map) {
            requireNonNull(map, "map").forEach(this::string);
            return this;
        }

        /** Removes a string key, if present. */
        public Builder removeString(String key) {
            strings.remove(key);
            return this;
        }

        /**
         * Adds (or replaces) an integer key-value.
         *
         * @throws IllegalArgumentException if {@code key} is not in 0..65535
         */
        public Builder intValue(int key, String value) {
            if ((key & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("integer key out of u16 range: " + key);
            }
            ints.put(key, requireNonNull(value, "value"));
            return this;
        }

        /** Adds (or replaces) every integer key-value of {@code map}. */
        public Builder ints(Map<Integer, String> map) {
            requireNonNull(map, "map").forEach((k, v) -> intValue(requireNonNull(k, "key"), v));
            return this;
        }

        /** Removes an integer key, if present. */
        public Builder removeInt(int key) {
            ints.remove(key);
            return this;
        }

        /** The header. The builder can be reused; later changes do not affect it. */
        public TTHeader build() {
            if (flags == 0 && seqId == 0 && strings.isEmpty() && ints.isEmpty()) {
                return EMPTY;
            }
            return new TTHeader(flags, seqId, PROTOCOL_THRIFT_BINARY,
                                strings.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(strings)),
                                ints.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(ints)));
        }
    }
}
