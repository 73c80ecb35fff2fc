package io.kitex4j.thriftrpc.internal.codec;

import static java.util.Objects.requireNonNull;

import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolException;

/**
 * Strict binary Thrift messages to and from {@link ByteBuf}s: the payload of a {@link KitexFrame}.
 *
 * <pre>
 * +-------------+-------------+------------+-----------+-----------------------------+
 * | 80 01 00 TT | u32 nameLen | name UTF-8 | i32 seqId | args/result struct ... 00   |
 * +-------------+-------------+------------+-----------+-----------------------------+
 * </pre>
 *
 * The message header is written and read here directly (strict version word always, as Kitex:
 * non-strict input is refused); the struct is written and read by the generated {@code TBase} with
 * libthrift's {@link TBinaryProtocol} (a subclass whose primitive and string methods work on the
 * {@code ByteBuf} directly) over a {@link ByteBufTransport}, so no intermediate byte array holds the
 * message. Only libthrift API that is stable from 0.14 to 0.22 is used ({@code TBase},
 * {@code TProtocol}, {@code TBinaryProtocol}, {@code TApplicationException}).
 *
 * <p>Errors are unchecked: {@link KitexEncodeException} when writing, {@link KitexCodecException} (kind
 * {@link Kind#MALFORMED}) when reading, both with libthrift's exception as cause when it has one.
 */
public final class ThriftCodec {

    /** First buffer size for {@link #encodeMessage}; the buffer grows as needed. */
    public static final int DEFAULT_INITIAL_CAPACITY = 256;

    private static final int VERSION_1 = 0x80010000;
    private static final int VERSION_MASK = 0xFFFF0000;

    private ThriftCodec() {}

    /**
     * A strict {@link TBinaryProtocol} over {@code buf} (reads consume it, writes append to it), for code
     * that drives libthrift itself, e.g. a {@code TProcessor}.
     *
     * <p>When reading, no string or container may announce more elements than the bytes that were
     * readable when the protocol was created: libthrift 0.14 allocates a container's declared size
     * before reading it, so without this bound a forged 2^31 count would exhaust the heap (0.15+ also
     * asks {@link ByteBufTransport#checkReadBytesAvailable}, which is tighter).
     */
    public static TProtocol protocol(ByteBuf buf) {
        final long limit = buf.isReadable() ? buf.readableBytes() : -1; // -1: libthrift's NO_LENGTH_LIMIT
        return new ByteBufBinaryProtocol(buf, limit);
    }

    /**
     * Encodes a whole message: header, then {@code body} (an args struct for CALL/ONEWAY, a result struct
     * for REPLY).
     *
     * @param type {@link ThriftMessageHeader#CALL}, {@link ThriftMessageHeader#REPLY},
     *     {@link ThriftMessageHeader#EXCEPTION} or {@link ThriftMessageHeader#ONEWAY}
     * @return a new buffer the caller owns
     * @throws KitexEncodeException if libthrift refuses the struct (e.g. a required field is unset)
     */
    public static ByteBuf encodeMessage(ByteBufAllocator alloc, String name, byte type, int seqId,
                                        TBase<?, ?> body) {
        return encodeMessage(alloc, name, type, seqId, body, DEFAULT_INITIAL_CAPACITY);
    }

    /**
     * As {@link #encodeMessage(ByteBufAllocator, String, byte, int, TBase)}, with a first buffer size
     * (to avoid growing the buffer when the size of the message is roughly known).
     */
    public static ByteBuf encodeMessage(ByteBufAllocator alloc, String name, byte type, int seqId,
                                        TBase<?, ?> body, int initialCapacity) {
        requireNonNull(body, "body");
        final ByteBuf out = alloc.ioBuffer(initialCapacity);
        boolean ok = false;
        try {
            writeMessageHeader(out, name, type, seqId);
            final ByteBufBinaryProtocol protocol = ByteBufBinaryProtocol.acquire(out);
            try {
                body.write(protocol);
            } finally {
                protocol.release();
            }
            ok = true;
            return out;
        } catch (TException e) {
            throw new KitexEncodeException("cannot encode " + ThriftMessageHeader.typeName(type) + " " + name
                                           + ": " + e.getMessage(), e);
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    /**
     * Appends a whole message (header, then {@code body}) to {@code out}, as {@link #encodeMessage} encodes
     * it: for a caller that writes framing in front of the message in the same buffer.
     *
     * @throws KitexEncodeException if libthrift refuses the struct (e.g. a required field is unset); what
     *     was appended is then incomplete
     */
    public static void writeMessage(ByteBuf out, String name, byte type, int seqId, TBase<?, ?> body) {
        requireNonNull(body, "body");
        writeMessageHeader(out, name, type, seqId);
        final ByteBufBinaryProtocol protocol = ByteBufBinaryProtocol.acquire(out);
        try {
            body.write(protocol);
        } catch (TException e) {
            throw new KitexEncodeException("cannot encode " + ThriftMessageHeader.typeName(type) + " " + name
                                           + ": " + e.getMessage(), e);
        } finally {
            protocol.release();
        }
    }

    /**
     * Decodes a message: reads its header, then its struct into {@code into}. The payload's reader index
     * moves past what was read. The message type is not checked: look at
     * {@link KitexFrame#messageHeader()} first, and use {@link #decodeException} for an EXCEPTION.
     *
     * @return the message header
     * @throws KitexCodecException if the payload is not a strict binary message or the struct cannot be
     *     read
     */
    public static ThriftMessageHeader decodeMessage(ByteBuf payload, TBase<?, ?> into) {
        requireNonNull(into, "into");
        final ThriftMessageHeader header = readMessageHeader(payload);
        readBody(payload, into, header, KitexFrameDecoder.DEFAULT_MAX_NESTING_DEPTH);
        return header;
    }

    /**
     * As {@link #decodeMessage}, for a payload whose header was already parsed (a decoded
     * {@link KitexFrame}'s {@link KitexFrame#messageHeader()}): the header is skipped, not decoded again.
     */
    public static void decodeMessage(ByteBuf payload, TBase<?, ?> into, ThriftMessageHeader header) {
        decodeMessage(payload, into, header, KitexFrameDecoder.DEFAULT_MAX_NESTING_DEPTH);
    }

    /**
     * As {@link #decodeMessage(ByteBuf, TBase, ThriftMessageHeader)}, refusing structs and containers
     * nested deeper than {@code maxNestingDepth} (counted as {@link KitexFrameDecoder} counts it for a
     * Buffered message: the message's struct is level 1) with a {@link Kind#NESTING_TOO_DEEP} exception,
     * instead of letting libthrift's recursive reader run out of stack.
     */
    public static void decodeMessage(ByteBuf payload, TBase<?, ?> into, ThriftMessageHeader header,
                                     int maxNestingDepth) {
        requireNonNull(into, "into");
        requireNonNull(header, "header");
        peekSeqId(payload, payload.readerIndex(), payload.readableBytes());
        payload.skipBytes(12 + payload.getInt(payload.readerIndex() + 4));
        readBody(payload, into, header, maxNestingDepth);
    }

    private static void readBody(ByteBuf payload, TBase<?, ?> into, ThriftMessageHeader header, int maxDepth) {
        final ByteBufBinaryProtocol protocol = ByteBufBinaryProtocol.acquire(payload, maxDepth);
        try {
            into.read(protocol);
        } catch (TException | RuntimeException e) {
            // Generated code throws unchecked exceptions too on some corrupt input (e.g. a bad enum or
            // union); all of it is a malformed message to the caller.
            final Kind kind = e instanceof TProtocolException
                              && ((TProtocolException) e).getType() == TProtocolException.DEPTH_LIMIT
                              ? Kind.NESTING_TOO_DEEP : Kind.MALFORMED;
            throw new KitexCodecException(kind, "cannot decode " + ThriftMessageHeader.typeName(header.type())
                                                + " " + header.name() + ": " + e.getMessage(), e);
        } finally {
            protocol.release();
        }
    }

    /**
     * Encodes an EXCEPTION message carrying {@code e} as Kitex writes it: fields {@code 1: string
     * message} (always, {@code ""} when null) and {@code 2: i32 type}. Use the request's method name
     * and seqId.
     */
    public static ByteBuf encodeException(ByteBufAllocator alloc, String name, int seqId, TApplicationException e) {
        requireNonNull(e, "e");
        final String message = e.getMessage() == null ? "" : e.getMessage();
        final ByteBuf out = alloc.ioBuffer(32 + name.length() + message.length());
        boolean ok = false;
        try {
            writeMessageHeader(out, name, ThriftMessageHeader.EXCEPTION, seqId);
            out.writeByte(ThriftBinarySkipper.STRING);
            out.writeShort(1);
            writeString(out, message);
            out.writeByte(ThriftBinarySkipper.I32);
            out.writeShort(2);
            out.writeInt(e.getType());
            out.writeByte(ThriftBinarySkipper.STOP);
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    /**
     * Decodes an EXCEPTION message into a {@link TApplicationException} ({@code getType()} gives the
     * Kitex code, see {@link KitexErrorTypes}). Unknown fields are skipped. The payload's reader index
     * moves past the message.
     *
     * @throws KitexCodecException if the payload is not an EXCEPTION message or is malformed
     */
    public static TApplicationException decodeException(ByteBuf payload) {
        final ThriftMessageHeader header = readMessageHeader(payload);
        if (header.type() != ThriftMessageHeader.EXCEPTION) {
            throw new KitexCodecException("expected an EXCEPTION message, got "
                                          + ThriftMessageHeader.typeName(header.type()) + " " + header.name());
        }
        String message = null;
        int type = KitexErrorTypes.UNKNOWN;
        ThriftBinarySkipper skipper = null;
        for (;;) {
            need(payload, 1);
            final byte fieldType = payload.readByte();
            if (fieldType == ThriftBinarySkipper.STOP) {
                break;
            }
            need(payload, 2);
            final short id = payload.readShort();
            if (id == 1 && fieldType == ThriftBinarySkipper.STRING) {
                need(payload, 4);
                final int len = payload.readInt();
                if (len < 0) {
                    throw new KitexCodecException("TApplicationException: negative message length " + len);
                }
                need(payload, len);
                message = payload.readCharSequence(len, StandardCharsets.UTF_8).toString();
            } else if (id == 2 && fieldType == ThriftBinarySkipper.I32) {
                need(payload, 4);
                type = payload.readInt();
            } else {
                if (skipper == null) {
                    skipper = new ThriftBinarySkipper(KitexFrameDecoder.DEFAULT_MAX_NESTING_DEPTH);
                }
                final long n = skipper.skipValue(payload, payload.readerIndex(), payload.readableBytes(), fieldType);
                payload.skipBytes((int) n);
            }
        }
        return new TApplicationException(type, message);
    }

    /**
     * Parses the message header at {@code [index, index + length)} of {@code buf} without moving any
     * index.
     *
     * @throws KitexCodecException if it is not a strict binary message header or the name runs past
     *     {@code length}
     */
    public static ThriftMessageHeader peekMessageHeader(ByteBuf buf, int index, int length) {
        final int seqId = peekSeqId(buf, index, length);
        final int nameLength = buf.getInt(index + 4);
        final String name = buf.toString(index + 8, nameLength, StandardCharsets.UTF_8);
        return new ThriftMessageHeader(name, buf.getByte(index + 3), seqId);
    }

    /** As {@link #peekMessageHeader}, but only the seqId, without decoding the name. */
    static int peekSeqId(ByteBuf buf, int index, int length) {
        if (length < 12) {
            throw new KitexCodecException("Thrift message of " + length + " bytes is too short");
        }
        final int version = buf.getInt(index);
        if ((version & VERSION_MASK) != VERSION_1) {
            throw new KitexCodecException(Kind.UNSUPPORTED_PROTOCOL, String.format(
                    "Thrift message: bad version 0x%08x, only strict binary (0x8001) is supported", version));
        }
        final int nameLength = buf.getInt(index + 4);
        if (nameLength < 0 || nameLength > length - 12) {
            throw new KitexCodecException("Thrift message: method name length " + nameLength
                                          + " does not fit in a message of " + length + " bytes");
        }
        return buf.getInt(index + 8 + nameLength);
    }

    private static ThriftMessageHeader readMessageHeader(ByteBuf payload) {
        final ThriftMessageHeader header = peekMessageHeader(payload, payload.readerIndex(), payload.readableBytes());
        // The raw length, not the decoded name's: invalid UTF-8 decodes to a different byte count.
        payload.skipBytes(12 + payload.getInt(payload.readerIndex() + 4));
        return header;
    }

    private static void writeMessageHeader(ByteBuf out, String name, byte type, int seqId) {
        requireNonNull(name, "name");
        out.writeInt(VERSION_1 | (type & 0xFF));
        writeString(out, name);
        out.writeInt(seqId);
    }

    private static void writeString(ByteBuf out, String s) {
        final int lengthIndex = out.writerIndex();
        out.writeInt(0);
        final int written = ByteBufUtil.writeUtf8(out, s);
        out.setInt(lengthIndex, written);
    }

    private static void need(ByteBuf payload, int n) {
        if (payload.readableBytes() < n) {
            throw new KitexCodecException("TApplicationException truncated");
        }
    }
}
