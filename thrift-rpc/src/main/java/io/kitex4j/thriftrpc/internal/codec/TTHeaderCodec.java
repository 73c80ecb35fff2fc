package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the TTHeader fixed part and header info block (layout in {@link TTHeader}). Works
 * on absolute indexes of a buffer that already holds the whole header, so it never waits and never
 * moves reader indexes; {@link KitexFrameDecoder} decides when enough bytes are there.
 */
final class TTHeaderCodec {

    /** Bytes of LENGTH + MAGIC/FLAGS + SEQUENCE ID + HEADER SIZE. */
    static final int FIXED_BYTES = 14;
    static final int MAGIC = 0x1000;

    static final int INFO_PADDING = 0x00;
    static final int INFO_KEYVALUE = 0x01;
    static final int INFO_INTKEYVALUE = 0x10;
    static final int INFO_ACL_TOKEN = 0x11;

    private TTHeaderCodec() {}

    /**
     * Whether Kitex's {@code checkProtocolID} accepts the id (gopkg {@code decode.go}): 0x00, 0x03
     * ("for compatibility"), 0x04, 0x10, 0x11. The payload's own magic decides what it really is.
     */
    static boolean isAcceptedProtocolId(int id) {
        return id == TTHeader.PROTOCOL_THRIFT_BINARY || id == TTHeader.PROTOCOL_THRIFT_COMPACT_V2
               || id == TTHeader.PROTOCOL_KITEX_PROTOBUF || id == TTHeader.PROTOCOL_THRIFT_STRUCT
               || id == TTHeader.PROTOCOL_PROTOBUF_STRUCT;
    }

    static String protocolIdName(int id) {
        return switch (id) {
            case TTHeader.PROTOCOL_THRIFT_BINARY -> "Thrift Binary";
            case TTHeader.PROTOCOL_THRIFT_COMPACT -> "Thrift Compact";
            case TTHeader.PROTOCOL_THRIFT_COMPACT_V2 -> "Thrift CompactV2";
            case TTHeader.PROTOCOL_KITEX_PROTOBUF -> "Kitex Protobuf";
            case TTHeader.PROTOCOL_THRIFT_STRUCT -> "TTHeader Streaming Thrift struct";
            case TTHeader.PROTOCOL_PROTOBUF_STRUCT -> "TTHeader Streaming Protobuf struct";
            default -> "unknown";
        };
    }

    /**
     * Decodes the header info block at {@code [start, start + length)}.
     *
     * @throws KitexCodecException on an unsupported protocol id, an unknown info id, or a block that
     *     runs past the header's end
     */
    static TTHeader decodeInfo(ByteBuf in, int start, int length, int flags, int seqId, StringReader reader) {
        final int end = start + length;
        int idx = start;
        final int protocolId = in.getUnsignedByte(idx++);
        if (!isAcceptedProtocolId(protocolId)) {
            throw unsupportedProtocolId(protocolId);
        }
        final int transforms = in.getUnsignedByte(idx++);
        if (end - idx < transforms) {
            throw new KitexCodecException("TTHeader: " + transforms + " transform ids announced but only "
                                          + (end - idx) + " header bytes left");
        }
        // Transform ids (compression) are read and ignored, as Kitex does: it never applies them.
        idx += transforms;

        Map<String, String> strings = null;
        Map<Integer, String> ints = null;
        while (idx < end) {
            final int infoId = in.getUnsignedByte(idx++);
            switch (infoId) {
                case INFO_PADDING:
                    break;
                case INFO_KEYVALUE: {
                    final int count = readU16(in, idx, end, "string key-value count");
                    idx += 2;
                    if (strings == null) {
                        strings = new LinkedHashMap<>(Math.max(4, count * 2));
                    }
                    for (int i = 0; i < count; i++) {
                        final int keyLen = readU16(in, idx, end, "string key length");
                        idx = checkString(idx + 2, keyLen, end, "string key");
                        final String key = reader.read(in, idx - keyLen, keyLen);
                        final int valueLen = readU16(in, idx, end, "string value length");
                        idx = checkString(idx + 2, valueLen, end, "string value");
                        strings.put(key, reader.read(in, idx - valueLen, valueLen));
                    }
                    break;
                }
                case INFO_INTKEYVALUE: {
                    final int count = readU16(in, idx, end, "integer key-value count");
                    idx += 2;
                    if (ints == null) {
                        ints = new LinkedHashMap<>(Math.max(4, count * 2));
                    }
                    for (int i = 0; i < count; i++) {
                        final int key = readU16(in, idx, end, "integer key");
                        final int valueLen = readU16(in, idx + 2, end, "integer value length");
                        idx = checkString(idx + 4, valueLen, end, "integer value");
                        ints.put(key, reader.read(in, idx - valueLen, valueLen));
                    }
                    break;
                }
                case INFO_ACL_TOKEN: {
                    final int len = readU16(in, idx, end, "ACL token length");
                    idx = checkString(idx + 2, len, end, "ACL token");
                    if (strings == null) {
                        strings = new LinkedHashMap<>(4);
                    }
                    strings.put(MetaKeys.GDPR_TOKEN, reader.read(in, idx - len, len));
                    break;
                }
                default:
                    throw new KitexCodecException(String.format(
                            "TTHeader: invalid info id 0x%02x at header offset %d", infoId, idx - 1 - start));
            }
        }
        return new TTHeader(flags, seqId, protocolId,
                            strings == null ? Map.of() : Collections.unmodifiableMap(strings),
                            ints == null ? Map.of() : Collections.unmodifiableMap(ints));
    }

    /**
     * Decodes UTF-8 strings from a buffer through one reusable array. Netty's {@code ByteBuf.toString}
     * copies direct memory into a temporary array first, cached only on Netty's own threads; a header
     * has a dozen strings, so a decoder keeps its own array (one per connection, never shared).
     */
    static final class StringReader {
        private byte[] scratch = new byte[128];

        String read(ByteBuf in, int index, int length) {
            if (length == 0) {
                return "";
            }
            if (in.hasArray()) {
                return new String(in.array(), in.arrayOffset() + index, length, StandardCharsets.UTF_8);
            }
            if (scratch.length < length) {
                // Header strings are at most 65535 bytes, so this stays bounded.
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            in.getBytes(index, scratch, 0, length);
            return new String(scratch, 0, length, StandardCharsets.UTF_8);
        }
    }

    static KitexCodecException unsupportedProtocolId(int protocolId) {
        return new KitexCodecException(
                Kind.UNSUPPORTED_PROTOCOL, String.format("TTHeader: unsupported protocol id 0x%02x (%s); only "
                                                         + "Thrift Binary (0x00) is supported",
                                                         protocolId, protocolIdName(protocolId)));
    }

    private static int readU16(ByteBuf in, int idx, int end, String what) {
        if (end - idx < 2) {
            throw new KitexCodecException("TTHeader: header info ends inside the " + what);
        }
        return in.getUnsignedShort(idx);
    }

    private static int checkString(int idx, int len, int end, String what) {
        if (end - idx < len) {
            throw new KitexCodecException("TTHeader: " + what + " of " + len + " bytes runs past the header end ("
                                          + (end - idx) + " bytes left)");
        }
        return idx + len;
    }

    /**
     * Writes the fixed part and the header info of a frame whose payload (after this buffer) has
     * {@code payloadLength} bytes (plus the u32 frame length if {@code framed}), to a new buffer of
     * exactly the right size.
     *
     * <pre>
     * | LENGTH | 0x1000 FLAGS | seqId | HSIZE | info + padding | [u32 frameLength if framed] |
     * </pre>
     *
     * @param framed whether to append the u32 frame length of {@code payloadLength} (TTHeaderFramed)
     * @throws KitexEncodeException if a string is longer than 65,535 UTF-8 bytes, a block has more than
     *     65,535 entries, or the header info exceeds {@link TTHeader#MAX_ENCODE_HEADER_BYTES}
     */
    static ByteBuf encode(ByteBufAllocator alloc, TTHeader header, int seqId, boolean framed, int payloadLength) {
        final Map<String, String> strings = header.strings();
        final Map<Integer, String> ints = header.ints();

        // Pass 1: every string to UTF-8 (String.getBytes is an intrinsic, much faster than encoding char by
        // char into the buffer), the exact size, and every limit checked before the buffer is allocated.
        final String token = strings.get(MetaKeys.GDPR_TOKEN);
        final int stringCount = token == null ? strings.size() : strings.size() - 1;
        checkCount(stringCount, "string");
        checkCount(ints.size(), "integer");
        final byte[][] encoded = new byte[(token == null ? 0 : 1) + 2 * stringCount + ints.size()][];
        int n = 0;
        int info = 2; // protocol id + transform count
        if (token != null) {
            encoded[n] = utf8(token, MetaKeys.GDPR_TOKEN);
            info += 1 + 2 + encoded[n++].length;
        }
        if (stringCount > 0) {
            info += 3;
            for (Map.Entry<String, String> e : strings.entrySet()) {
                if (token != null && MetaKeys.GDPR_TOKEN.equals(e.getKey())) {
                    continue;
                }
                encoded[n] = utf8(e.getKey(), e.getKey());
                encoded[n + 1] = utf8(e.getValue(), e.getKey());
                info += 4 + encoded[n].length + encoded[n + 1].length;
                n += 2;
                checkInfoSize(info); // fail early on headers far over the limit, before int overflow
            }
        }
        if (!ints.isEmpty()) {
            info += 3;
            for (Map.Entry<Integer, String> e : ints.entrySet()) {
                encoded[n] = utf8(e.getValue(), String.valueOf(e.getKey()));
                info += 4 + encoded[n++].length;
                checkInfoSize(info);
            }
        }
        final int padding = (4 - (info & 3)) & 3;
        info += padding;
        checkInfoSize(info);

        final long length = (long) FIXED_BYTES - 4 + info + (framed ? 4 : 0) + payloadLength;
        if (length > Integer.MAX_VALUE) {
            // The top bit of LENGTH must stay 0 (gopkg MaxFrameSize); a payload this size cannot exist anyway.
            throw new KitexEncodeException("TTHeader: frame of " + length + " bytes is too large");
        }

        // Pass 2: write. The buffer is exactly sized, so nothing here can fail.
        final ByteBuf out = alloc.ioBuffer(FIXED_BYTES + info + (framed ? 4 : 0));
        out.writeInt((int) length);
        out.writeShort(MAGIC);
        out.writeShort(header.flags());
        out.writeInt(seqId);
        out.writeShort(info >>> 2);
        out.writeByte(TTHeader.PROTOCOL_THRIFT_BINARY);
        out.writeByte(0); // no transforms
        n = 0;
        if (token != null) {
            out.writeByte(INFO_ACL_TOKEN);
            writeString(out, encoded[n++]);
        }
        if (stringCount > 0) {
            out.writeByte(INFO_KEYVALUE);
            out.writeShort(stringCount);
            for (int i = 0; i < stringCount; i++) {
                writeString(out, encoded[n++]);
                writeString(out, encoded[n++]);
            }
        }
        if (!ints.isEmpty()) {
            out.writeByte(INFO_INTKEYVALUE);
            out.writeShort(ints.size());
            for (Integer key : ints.keySet()) {
                out.writeShort(key);
                writeString(out, encoded[n++]);
            }
        }
        out.writeZero(padding);
        if (framed) {
            out.writeInt(payloadLength);
        }
        return out;
    }

    static byte[] utf8(String s, String key) {
        // A string is at least as many UTF-8 bytes as chars: refuse a huge one before encoding it.
        if (s.length() > TTHeader.MAX_STRING_BYTES) {
            throw new KitexEncodeException("TTHeader: string of at least " + s.length() + " bytes for key '"
                                           + abbreviate(key) + "' exceeds the 65535-byte limit of a u16 length");
        }
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > TTHeader.MAX_STRING_BYTES) {
            throw new KitexEncodeException("TTHeader: string of " + b.length + " bytes for key '" + abbreviate(key)
                                           + "' exceeds the 65535-byte limit of a u16 length");
        }
        return b;
    }

    static void checkCount(int count, String what) {
        if (count > 0xFFFF) {
            throw new KitexEncodeException("TTHeader: " + count + " " + what + " key-values exceed the u16 count");
        }
    }

    static void checkInfoSize(int info) {
        if (info > TTHeader.MAX_ENCODE_HEADER_BYTES) {
            throw new KitexEncodeException(
                    "TTHeader: header info of more than " + TTHeader.MAX_ENCODE_HEADER_BYTES + " bytes (at least "
                    + info + ") would be refused by Kitex before v0.16; send less metadata");
        }
    }

    private static void writeString(ByteBuf out, byte[] bytes) {
        out.writeShort(bytes.length);
        out.writeBytes(bytes);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
