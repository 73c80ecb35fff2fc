package io.kitex4j.core.loadbalance;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import net.openhft.hashing.Access;
import net.openhft.hashing.LongHashFunction;

/**
 * XXH3-64 with seed 0, the hash of Kitex's consistent hashing up to v0.16.1 ({@code
 * github.com/bytedance/gopkg/util/xxhash3}). Go hashes a string's bytes, so a Java string is hashed
 * as its UTF-8 encoding.
 */
final class Xxh3 {
    private static final LongHashFunction XX3 = LongHashFunction.xx3();

    private Xxh3() {}

    /** Hashes {@code bytes[0, length)}. */
    static long hash(byte[] bytes, int length) {
        return XX3.hashBytes(bytes, 0, length);
    }

    /** Hashes the UTF-8 encoding of {@code s}, without allocating when {@code s} is ASCII. */
    static long hash(String s) {
        int length = s.length();
        for (int i = 0; i < length; i++) {
            if (s.charAt(i) >= 0x80) {
                return XX3.hashBytes(s.getBytes(StandardCharsets.UTF_8));
            }
        }
        // ASCII: each char is its own UTF-8 byte, so read the chars as bytes in place.
        return XX3.hash(s, AsciiAccess.INSTANCE, 0, length);
    }

    /** Reads an ASCII string as the little-endian byte string of its chars. */
    private static final class AsciiAccess extends Access<String> {
        static final AsciiAccess INSTANCE = new AsciiAccess();

        @Override
        public long getLong(String s, long offset) {
            int i = (int) offset;
            return s.charAt(i)
                    | (long) s.charAt(i + 1) << 8
                    | (long) s.charAt(i + 2) << 16
                    | (long) s.charAt(i + 3) << 24
                    | (long) s.charAt(i + 4) << 32
                    | (long) s.charAt(i + 5) << 40
                    | (long) s.charAt(i + 6) << 48
                    | (long) s.charAt(i + 7) << 56;
        }

        @Override
        public int getInt(String s, long offset) {
            int i = (int) offset;
            return s.charAt(i) | s.charAt(i + 1) << 8 | s.charAt(i + 2) << 16 | s.charAt(i + 3) << 24;
        }

        @Override
        public long getUnsignedInt(String s, long offset) {
            return getInt(s, offset) & 0xFFFF_FFFFL;
        }

        @Override
        public int getUnsignedShort(String s, long offset) {
            int i = (int) offset;
            return s.charAt(i) | s.charAt(i + 1) << 8;
        }

        @Override
        public int getShort(String s, long offset) {
            return (short) getUnsignedShort(s, offset);
        }

        @Override
        public int getUnsignedByte(String s, long offset) {
            return s.charAt((int) offset);
        }

        @Override
        public int getByte(String s, long offset) {
            return (byte) s.charAt((int) offset);
        }

        @Override
        public ByteOrder byteOrder(String s) {
            return ByteOrder.LITTLE_ENDIAN;
        }

        @Override
        protected Access<String> reverseAccess() {
            // Only asked for when the caller wants the other byte order; XXH3 reads little-endian.
            throw new UnsupportedOperationException("big-endian access");
        }
    }
}
