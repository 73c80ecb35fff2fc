package io.kitex4j.thriftrpc.internal.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Byte helpers for codec tests: hex literals and hand-built Thrift/TTHeader bytes. */
final class TestBytes {

    private TestBytes() {}

    /**
     * Bytes from hex, ignoring spaces, newlines and {@code |}; {@code 'text'} inserts ASCII text, as in
     * the reference's diagrams ({@code 00 03 'isn'}).
     */
    static byte[] hex(String s) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < s.length()) {
            final char c = s.charAt(i);
            if (c == '\'') {
                final int end = s.indexOf('\'', i + 1);
                out.writeBytes(s.substring(i + 1, end).getBytes(StandardCharsets.US_ASCII));
                i = end + 1;
            } else if (Character.digit(c, 16) >= 0) {
                out.write(Integer.parseInt(s.substring(i, i + 2), 16));
                i += 2;
            } else {
                i++;
            }
        }
        return out.toByteArray();
    }

    static ByteBuf buf(byte[] bytes) {
        return Unpooled.wrappedBuffer(bytes);
    }

    static byte[] bytes(ByteBuf buf) {
        return ByteBufUtil.getBytes(buf);
    }

    static byte[] concat(byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] u32(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    /** A strict binary message: version|type, name, seqId, then {@code body} (struct fields + STOP). */
    static byte[] message(String name, int type, int seqId, byte[] body) {
        final byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return concat(u32(0x80010000L | type), u32(n.length), n, u32(seqId), body);
    }

    /** A struct with one string field {@code id} and STOP. */
    static byte[] stringField(int id, String value) {
        final byte[] v = value.getBytes(StandardCharsets.UTF_8);
        return concat(new byte[] {0x0b}, u16(id), u32(v.length), v, new byte[] {0});
    }

    static byte[] framed(byte[] message) {
        return concat(u32(message.length), message);
    }

    /** A TTHeader frame around {@code payload} (which may itself be framed). */
    static byte[] ttheader(int flags, int seqId, byte[] info, byte[] payload) {
        if (info.length % 4 != 0) {
            throw new IllegalArgumentException("header info must be padded: " + info.length);
        }
        return concat(u32(10 + info.length + payload.length), u16(0x1000), u16(flags), u32(seqId),
                      u16(info.length / 4), info, payload);
    }
}
