package io.kitex4j.thriftrpc.codec;

import io.kitex4j.thriftrpc.codec.KitexCodecException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
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
    static TTHeader decodeInfo(ByteBuf in, int start, int length, int flags, int seqId) {
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
                        final String key = in.toString(idx - keyLen, keyLen, StandardCharsets.UTF_8);
                        final int valueLen = readU16(in, idx, end, "string value length");
                        idx = checkString(idx + 2, valueLen, end, "string value");
                        strings.put(key, in.toString(idx - valueLen, valueLen, StandardCharsets.UTF_8));
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
                        ints.put(key, in.toString(idx - valueLen, valueLen, StandardCharsets.UTF_8));
                    }
                    break;
                }
                case INFO_ACL_TOKEN: {
                    final int len = readU16(in, idx, end, "ACL token length");
                    idx = checkString(idx + 2, len, end, "ACL token");
                    if (strings == null) {
                        strings = new LinkedHashMap<>(4);
                    }
                    strings.put(MetaKeys.GDPR_TOKEN, in.toString(idx - len, len, StandardCharsets.UTF_8));
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
     * {@code afterHeader} bytes, to a new buffer of exactly the right size.
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

        // Pass 1: exact size, and every limit checked before anything is allocated.
        int info = 2; // protocol id + transform count
        final String token = strings.get(MetaKeys.GDPR_TOKEN);
        int stringCount = strings.size();
        if (token != null) {
            info += 1 + 2 + utf8Length(token, MetaKeys.GDPR_TOKEN);
            stringCount--;
        }
        if (stringCount > 0) {
            checkCount(stringCount, "string");
            info += 3;
            for (Map.Entry<String, String> e : strings.entrySet()) {
                if (token != null && MetaKeys.GDPR_TOKEN.equals(e.getKey())) {
                    continue;
                }
                info += 4 + utf8Length(e.getKey(), e.getKey()) + utf8Length(e.getValue(), e.getKey());
                checkInfoSize(info); // fail early on headers far over the limit, before int overflow
            }
        }
        if (!ints.isEmpty()) {
            checkCount(ints.size(), "integer");
            info += 3;
            for (Map.Entry<Integer, String> e : ints.entrySet()) {
                info += 4 + utf8Length(e.getValue(), String.valueOf(e.getKey()));
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

        // Pass 2: write.
        final ByteBuf out = alloc.ioBuffer(FIXED_BYTES + info + (framed ? 4 : 0));
        boolean ok = false;
        try {
            out.writeInt((int) length);
            out.writeShort(MAGIC);
            out.writeShort(header.flags());
            out.writeInt(seqId);
            out.writeShort(info >>> 2);
            out.writeByte(TTHeader.PROTOCOL_THRIFT_BINARY);
            out.writeByte(0); // no transforms
            if (token != null) {
                out.writeByte(INFO_ACL_TOKEN);
                writeString(out, token);
            }
            if (stringCount > 0) {
                out.writeByte(INFO_KEYVALUE);
                out.writeShort(stringCount);
                for (Map.Entry<String, String> e : strings.entrySet()) {
                    if (token != null && MetaKeys.GDPR_TOKEN.equals(e.getKey())) {
                        continue;
                    }
                    writeString(out, e.getKey());
                    writeString(out, e.getValue());
                }
            }
            if (!ints.isEmpty()) {
                out.writeByte(INFO_INTKEYVALUE);
                out.writeShort(ints.size());
                for (Map.Entry<Integer, String> e : ints.entrySet()) {
                    out.writeShort(e.getKey());
                    writeString(out, e.getValue());
                }
            }
            out.writeZero(padding);
            if (framed) {
                out.writeInt(payloadLength);
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    private static int utf8Length(String s, String key) {
        final int n = ByteBufUtil.utf8Bytes(s);
        if (n > TTHeader.MAX_STRING_BYTES) {
            throw new KitexEncodeException("TTHeader: string of " + n + " bytes for key '" + abbreviate(key)
                                           + "' exceeds the 65535-byte limit of a u16 length");
        }
        return n;
    }

    private static void checkCount(int count, String what) {
        if (count > 0xFFFF) {
            throw new KitexEncodeException("TTHeader: " + count + " " + what + " key-values exceed the u16 count");
        }
    }

    private static void checkInfoSize(int info) {
        if (info > TTHeader.MAX_ENCODE_HEADER_BYTES) {
            throw new KitexEncodeException(
                    "TTHeader: header info of more than " + TTHeader.MAX_ENCODE_HEADER_BYTES + " bytes (at least "
                    + info + ") would be refused by Kitex before v0.16; send less metadata");
        }
    }

    private static void writeString(ByteBuf out, String s) {
        final int lengthIndex = out.writerIndex();
        out.writeShort(0);
        final int written = ByteBufUtil.writeUtf8(out, s);
        out.setShort(lengthIndex, written);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
