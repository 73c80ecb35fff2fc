package io.kitex4j.thriftrpc.internal.codec;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A client request's TTHeader with its constant key-values encoded once (per client and method), so that a
 * call encodes only what changes from call to call. It writes exactly the bytes {@link KitexFrameEncoder}
 * writes for a {@link TTHeader} whose keys were added in this order:
 *
 * <pre>
 * strings:  per-call strings (the ACL token, if any, goes first into its own block), then the constant ones
 * ints:     leading constants, one per-call string ({@code slotKey}), middle constants,
 *           up to two per-call numbers (absent when negative)
 * </pre>
 *
 * Keys must be distinct across these groups (a builder would replace, this template would repeat them):
 * {@link Builder#build()} checks the constant and slot keys; per-call strings are the caller's to keep
 * apart from the constant ones. Immutable and thread-safe.
 */
public final class TTHeaderRequestTemplate {

    private final byte[] leadingInts;
    private final int leadingCount;
    private final int slotKey;
    private final byte[] middleInts;
    private final int middleCount;
    private final int numberKey1;
    private final int numberKey2;
    private final byte[] trailingStrings;
    private final int trailingCount;

    private TTHeaderRequestTemplate(Builder b) {
        leadingInts = encodeInts(b.leading);
        leadingCount = b.leading.size();
        slotKey = b.slotKey;
        middleInts = encodeInts(b.middle);
        middleCount = b.middle.size();
        numberKey1 = b.numberKey1;
        numberKey2 = b.numberKey2;
        final List<byte[]> strings = new ArrayList<>();
        int size = 0;
        for (Map.Entry<String, String> e : b.strings) {
            final byte[] k = utf8(e.getKey(), e.getKey());
            final byte[] v = utf8(e.getValue(), e.getKey());
            strings.add(k);
            strings.add(v);
            size += 4 + k.length + v.length;
        }
        final ByteBufWriter w = new ByteBufWriter(size);
        for (byte[] s : strings) {
            w.string(s);
        }
        trailingStrings = w.bytes;
        trailingCount = b.strings.size();
    }

    /** A builder of a template. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The per-call strings of a request, already UTF-8: key-value pairs for the string block and the ACL
     * token, if any. Made with {@link #strings}; {@code null} stands for none.
     */
    public static final class Strings {
        final byte[] aclToken;
        final byte[][] pairs;
        final int bytes;

        private Strings(byte[] aclToken, byte[][] pairs, int bytes) {
            this.aclToken = aclToken;
            this.pairs = pairs;
            this.bytes = bytes;
        }
    }

    /**
     * Per-call strings: {@code n} key-value pairs from {@code keys} and {@code values} (key {@link
     * MetaKeys#GDPR_TOKEN} goes to the ACL token block, as {@link KitexFrameEncoder} writes it).
     *
     * @throws KitexEncodeException if a string is longer than 65,535 UTF-8 bytes or there are too many
     */
    public static Strings strings(String[] keys, String[] values, int n) {
        byte[] token = null;
        final byte[][] pairs = new byte[2 * n][];
        int m = 0;
        int bytes = 0;
        for (int i = 0; i < n; i++) {
            if (token == null && MetaKeys.GDPR_TOKEN.equals(keys[i])) {
                token = utf8(values[i], MetaKeys.GDPR_TOKEN);
                bytes += 3 + token.length;
                continue;
            }
            pairs[m] = utf8(keys[i], keys[i]);
            pairs[m + 1] = utf8(values[i], keys[i]);
            bytes += 4 + pairs[m].length + pairs[m + 1].length;
            m += 2;
            checkInfoSize(bytes);
        }
        final byte[][] exact = m == pairs.length ? pairs : java.util.Arrays.copyOf(pairs, m);
        return new Strings(token, exact, bytes);
    }

    /**
     * The number of bytes {@link #write} writes for these per-call values.
     *
     * @throws KitexEncodeException if the header info would exceed {@link TTHeader#MAX_ENCODE_HEADER_BYTES}
     *     or the slot value is longer than 65,535 UTF-8 bytes
     */
    public int length(boolean framed, byte[] slotValue, long number1, long number2, Strings strings) {
        return TTHeaderCodec.FIXED_BYTES + infoLength(slotValue, number1, number2, strings) + (framed ? 4 : 0);
    }

    private int infoLength(byte[] slotValue, long number1, long number2, Strings strings) {
        int info = 2;
        final int perCallPairs = strings == null ? 0 : strings.pairs.length / 2;
        if (strings != null) {
            info += strings.bytes;
        }
        if (perCallPairs + trailingCount > 0) {
            checkCount(perCallPairs + trailingCount, "string");
            info += 3 + trailingStrings.length;
        }
        info += 3 + leadingInts.length + 4 + slotValue.length + middleInts.length;
        if (number1 >= 0) {
            info += 4 + digits(number1);
        }
        if (number2 >= 0) {
            info += 4 + digits(number2);
        }
        info += (4 - (info & 3)) & 3;
        checkInfoSize(info);
        return info;
    }

    /**
     * Writes the TTHeader of a request (fixed part, info, padding and, if {@code framed}, the u32 frame
     * length) with LENGTH and the frame length left 0: {@link #finish} sets them once the payload is written.
     *
     * @param slotValue the UTF-8 value of the slot key ({@link #utf8})
     * @param number1 the first per-call number, or negative for none
     * @return the writer index at which the header started, for {@link #finish}
     */
    public int write(ByteBuf out, boolean framed, int flags, int seqId, byte[] slotValue, long number1, long number2,
                     Strings strings) {
        final int info = infoLength(slotValue, number1, number2, strings);
        final int start = out.writerIndex();
        out.writeInt(0); // LENGTH, set by finish
        out.writeShort(TTHeaderCodec.MAGIC);
        out.writeShort(flags);
        out.writeInt(seqId);
        out.writeShort(info >>> 2);
        out.writeByte(TTHeader.PROTOCOL_THRIFT_BINARY);
        out.writeByte(0);
        final int infoStart = out.writerIndex();
        final int perCallPairs = strings == null ? 0 : strings.pairs.length / 2;
        if (strings != null && strings.aclToken != null) {
            out.writeByte(TTHeaderCodec.INFO_ACL_TOKEN);
            writeString(out, strings.aclToken);
        }
        if (perCallPairs + trailingCount > 0) {
            out.writeByte(TTHeaderCodec.INFO_KEYVALUE);
            out.writeShort(perCallPairs + trailingCount);
            if (strings != null) {
                for (byte[] s : strings.pairs) {
                    writeString(out, s);
                }
            }
            out.writeBytes(trailingStrings);
        }
        out.writeByte(TTHeaderCodec.INFO_INTKEYVALUE);
        out.writeShort(leadingCount + 1 + middleCount + (number1 >= 0 ? 1 : 0) + (number2 >= 0 ? 1 : 0));
        out.writeBytes(leadingInts);
        out.writeShort(slotKey);
        writeString(out, slotValue);
        out.writeBytes(middleInts);
        if (number1 >= 0) {
            writeNumber(out, numberKey1, number1);
        }
        if (number2 >= 0) {
            writeNumber(out, numberKey2, number2);
        }
        out.writeZero(info - 2 - (out.writerIndex() - infoStart));
        if (framed) {
            out.writeInt(0);
        }
        return start;
    }

    /**
     * Sets LENGTH (and the u32 frame length when {@code framed}) of a header written at {@code start} by
     * {@link #write}, now that the payload follows it up to the writer index.
     */
    public static void finish(ByteBuf out, int start, boolean framed) {
        final int end = out.writerIndex();
        out.setInt(start, end - start - 4);
        if (framed) {
            final int headerEnd = start + TTHeaderCodec.FIXED_BYTES + 4 * out.getUnsignedShort(start + 12);
            out.setInt(headerEnd, end - headerEnd - 4);
        }
    }

    /**
     * A string as UTF-8, refusing one longer than a u16 length can say as {@link KitexFrameEncoder} does.
     *
     * @throws KitexEncodeException if longer than 65,535 UTF-8 bytes
     */
    public static byte[] utf8(String s, String key) {
        if (s.isEmpty()) {
            return EMPTY_BYTES;
        }
        return TTHeaderCodec.utf8(s, key);
    }

    private static final byte[] EMPTY_BYTES = new byte[0];

    private static void writeString(ByteBuf out, byte[] bytes) {
        out.writeShort(bytes.length);
        out.writeBytes(bytes);
    }

    private static void writeNumber(ByteBuf out, int key, long value) {
        out.writeShort(key);
        final int n = digits(value);
        out.writeShort(n);
        final int end = out.writerIndex() + n;
        out.ensureWritable(n);
        long v = value;
        for (int i = end - 1; i >= end - n; i--) {
            out.setByte(i, (int) ('0' + v % 10));
            v /= 10;
        }
        out.writerIndex(end);
    }

    static int digits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    private static byte[] encodeInts(List<Map.Entry<Integer, String>> ints) {
        final List<byte[]> values = new ArrayList<>();
        int size = 0;
        for (Map.Entry<Integer, String> e : ints) {
            final byte[] v = utf8(e.getValue(), String.valueOf(e.getKey()));
            values.add(v);
            size += 4 + v.length;
        }
        final ByteBufWriter w = new ByteBufWriter(size);
        for (int i = 0; i < ints.size(); i++) {
            w.u16(ints.get(i).getKey());
            w.string(values.get(i));
        }
        return w.bytes;
    }

    private static void checkCount(int count, String what) {
        TTHeaderCodec.checkCount(count, what);
    }

    private static void checkInfoSize(int info) {
        TTHeaderCodec.checkInfoSize(info);
    }

    /** Fills a byte array of known size. */
    private static final class ByteBufWriter {
        final byte[] bytes;
        int index;

        ByteBufWriter(int size) {
            bytes = new byte[size];
        }

        void u16(int v) {
            bytes[index++] = (byte) (v >>> 8);
            bytes[index++] = (byte) v;
        }

        void string(byte[] s) {
            u16(s.length);
            System.arraycopy(s, 0, bytes, index, s.length);
            index += s.length;
        }
    }

    /** Builds a {@link TTHeaderRequestTemplate}; keys are written in the order added within each group. */
    public static final class Builder {
        private final List<Map.Entry<Integer, String>> leading = new ArrayList<>();
        private final List<Map.Entry<Integer, String>> middle = new ArrayList<>();
        private final List<Map.Entry<String, String>> strings = new ArrayList<>();
        private int slotKey = -1;
        private int numberKey1 = -1;
        private int numberKey2 = -1;

        Builder() {}

        /** Adds a constant integer key: before the slot if it is not set yet, after it otherwise. */
        public Builder intValue(int key, String value) {
            checkKey(key);
            (slotKey < 0 ? leading : middle).add(Map.entry(key, requireNonNull(value, "value")));
            return this;
        }

        /** Sets the integer key whose (string) value each call gives. */
        public Builder slot(int key) {
            checkKey(key);
            if (slotKey >= 0) {
                throw new IllegalStateException("slot already set");
            }
            slotKey = key;
            return this;
        }

        /** Sets the two integer keys whose numeric values each call may give, written last. */
        public Builder numbers(int key1, int key2) {
            checkKey(key1);
            checkKey(key2);
            numberKey1 = key1;
            numberKey2 = key2;
            return this;
        }

        /** Adds a constant string key, written after the per-call strings. */
        public Builder string(String key, String value) {
            strings.add(Map.entry(requireNonNull(key, "key"), requireNonNull(value, "value")));
            return this;
        }

        /**
         * The template.
         *
         * @throws IllegalStateException if the slot or the number keys are not set, or a key repeats
         * @throws KitexEncodeException if a constant string is longer than 65,535 UTF-8 bytes
         */
        public TTHeaderRequestTemplate build() {
            if (slotKey < 0 || numberKey1 < 0) {
                throw new IllegalStateException("slot and numbers must be set");
            }
            final java.util.Set<Integer> keys = new java.util.HashSet<>();
            keys.add(slotKey);
            keys.add(numberKey1);
            keys.add(numberKey2);
            for (Map.Entry<Integer, String> e : leading) {
                keys.add(e.getKey());
            }
            for (Map.Entry<Integer, String> e : middle) {
                keys.add(e.getKey());
            }
            if (keys.size() != 3 + leading.size() + middle.size()) {
                throw new IllegalStateException("integer keys repeat");
            }
            if (strings.stream().map(Map.Entry::getKey).distinct().count() != strings.size()
                || strings.stream().anyMatch(e -> e.getKey().equals(MetaKeys.GDPR_TOKEN))) {
                throw new IllegalStateException("constant string keys repeat or include the ACL token");
            }
            return new TTHeaderRequestTemplate(this);
        }

        private static void checkKey(int key) {
            if ((key & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("integer key out of u16 range: " + key);
            }
        }
    }
}
