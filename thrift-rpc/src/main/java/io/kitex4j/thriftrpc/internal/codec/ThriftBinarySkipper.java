package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.netty.buffer.ByteBuf;

/**
 * Finds where a strict binary Thrift message (or a single value) ends, by walking its encoding in place:
 * nothing is copied or allocated per message. It is resumable: when the bytes run out it returns
 * {@link #NEED_MORE} and keeps its position and nesting stack, so that the next call, with more bytes,
 * continues where this one stopped instead of starting over (a message delivered one byte at a time
 * costs O(n), not O(n²)).
 *
 * <p>Positions are offsets from the message start, so the skipper survives the decoder's cumulation
 * buffer being reallocated or compacted between calls, as long as the message start is not consumed.
 *
 * <p>Bounded like gopkg's {@code SkipDecoder}: nesting deeper than {@code maxDepth} (Kitex: 64) and
 * unknown type ids are errors, and negative sizes are errors. In addition the message may not grow
 * past {@code limit} bytes: a string or container length that would take it there fails at once,
 * before any of those bytes are awaited.
 *
 * <pre>
 * message: | 80 01 00 TT | i32 nameLen | name | i32 seqId | struct |
 * struct:  ( | u8 type | i16 id | value | )* | 00 STOP |
 * value:   bool/byte 1, i16 2, i32 4, i64/double 8,
 *          string/binary | i32 len | bytes |
 *          map  | u8 ktype | u8 vtype | i32 count | (key value)* |
 *          list/set | u8 etype | i32 count | value* |
 *          struct (as above)
 * </pre>
 *
 * Not thread-safe; one instance per connection (it lives in a {@link KitexFrameDecoder}).
 */
final class ThriftBinarySkipper {

    /** Returned by {@link #skip} while the message is incomplete. */
    static final long NEED_MORE = -1;

    static final byte STOP = 0;
    static final byte BOOL = 2;
    static final byte BYTE = 3;
    static final byte DOUBLE = 4;
    static final byte I16 = 6;
    static final byte I32 = 8;
    static final byte I64 = 10;
    static final byte STRING = 11;
    static final byte STRUCT = 12;
    static final byte MAP = 13;
    static final byte SET = 14;
    static final byte LIST = 15;

    private static final int PHASE_IDLE = 0;
    private static final int PHASE_MESSAGE_HEADER = 1;
    private static final int PHASE_BODY = 2;

    private static final int NO_PENDING = -1;

    private final int maxDepth;
    // The nesting stack: for each open struct/map/list/set, its kind, the values left to skip (a map
    // counts its keys and values separately) and the element types.
    private final byte[] kinds;
    private final long[] remaining;
    private final byte[] types1;
    private final byte[] types2;
    private int depth;

    private int phase = PHASE_IDLE;
    // Offset (from the message start) of the next byte to look at. May run ahead of the bytes received:
    // fixed-size values and string bodies are stepped over without being looked at.
    private long pos;
    // A value whose type is known but whose header (string length, container header) is not read yet.
    private int pending = NO_PENDING;

    ThriftBinarySkipper(int maxDepth) {
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth must be at least 1: " + maxDepth);
        }
        this.maxDepth = maxDepth;
        kinds = new byte[maxDepth];
        remaining = new long[maxDepth];
        types1 = new byte[maxDepth];
        types2 = new byte[maxDepth];
    }

    /** Whether a message has been started and not finished. */
    boolean inProgress() {
        return phase != PHASE_IDLE;
    }

    /** Forgets any message in progress. */
    void reset() {
        phase = PHASE_IDLE;
        pos = 0;
        pending = NO_PENDING;
        depth = 0;
    }

    /**
     * Continues (or starts) skipping the message that begins at absolute index {@code start} of
     * {@code buf}, of which {@code available} bytes have arrived. The caller has checked the version
     * word.
     *
     * @return the message's total length once all of it has arrived, else {@link #NEED_MORE}; after a
     *     length is returned, call {@link #reset()} before the next message
     * @throws KitexCodecException if the message is malformed, nests too deep, or would exceed
     *     {@code limit} bytes
     */
    long skipMessage(ByteBuf buf, int start, int available, long limit) {
        if (phase == PHASE_IDLE) {
            phase = PHASE_MESSAGE_HEADER;
        }
        if (phase == PHASE_MESSAGE_HEADER) {
            if (available < 8) {
                return NEED_MORE;
            }
            final int nameLength = buf.getInt(start + 4);
            if (nameLength < 0) {
                throw new KitexCodecException("Thrift message: negative method name length " + nameLength);
            }
            pos = 8L + nameLength + 4; // version, name length, name, seqId
            checkLimit(limit, "method name");
            depth = 0;
            push(STRUCT, 0, (byte) 0, (byte) 0);
            phase = PHASE_BODY;
        }
        return run(buf, start, available, limit);
    }

    /**
     * Finds the end of one complete value of type {@code type} at {@code [start, start + available)};
     * used on whole payloads, so running out of bytes is an error here.
     *
     * @return the value's length in bytes
     */
    long skipValue(ByteBuf buf, int start, int available, byte type) {
        reset();
        phase = PHASE_BODY;
        pending = type;
        try {
            final long end = run(buf, start, available, available);
            if (end == NEED_MORE) {
                throw new KitexCodecException("Thrift value of type " + type + " is truncated");
            }
            return end;
        } finally {
            reset();
        }
    }

    private long run(ByteBuf buf, int start, int available, long limit) {
        for (;;) {
            if (pending != NO_PENDING) {
                if (!beginValue(buf, start, available, limit, (byte) pending)) {
                    return NEED_MORE;
                }
                pending = NO_PENDING;
            }
            if (depth == 0) {
                // Everything is accounted for; done once the last stepped-over bytes are there too.
                return pos <= available ? pos : NEED_MORE;
            }
            final int top = depth - 1;
            switch (kinds[top]) {
                case STRUCT: {
                    if (pos >= available) {
                        return NEED_MORE;
                    }
                    final byte fieldType = buf.getByte(start + (int) pos);
                    if (fieldType == STOP) {
                        pos++;
                        depth--;
                        continue;
                    }
                    final int size = fixedSize(fieldType);
                    if (size == 0 && !isVariable(fieldType)) {
                        throw unknownType(fieldType);
                    }
                    pos += 3; // type byte and i16 field id
                    if (size > 0) {
                        pos += size;
                        checkLimit(limit, "struct field");
                    } else {
                        pending = fieldType;
                    }
                    continue;
                }
                case LIST: {
                    if (remaining[top] == 0) {
                        depth--;
                        continue;
                    }
                    remaining[top]--;
                    pending = types1[top];
                    continue;
                }
                case MAP: {
                    final long left = remaining[top];
                    if (left == 0) {
                        depth--;
                        continue;
                    }
                    // An even count left means a key comes next.
                    pending = (left & 1) == 0 ? types1[top] : types2[top];
                    remaining[top] = left - 1;
                    continue;
                }
                default:
                    throw new IllegalStateException("corrupt skipper stack");
            }
        }
    }

    /**
     * Steps over a fixed-size value or reads the header of a variable one (pushing containers).
     *
     * @return false if the header bytes have not arrived yet (nothing changed)
     */
    private boolean beginValue(ByteBuf buf, int start, int available, long limit, byte type) {
        final int size = fixedSize(type);
        if (size > 0) {
            pos += size;
            checkLimit(limit, "value");
            return true;
        }
        switch (type) {
            case STRING: {
                if (available - pos < 4) {
                    return false;
                }
                final int length = buf.getInt(start + (int) pos);
                if (length < 0) {
                    throw new KitexCodecException("Thrift message: negative string length " + length);
                }
                pos += 4L + length;
                checkLimit(limit, "string");
                return true;
            }
            case STRUCT:
                push(STRUCT, 0, (byte) 0, (byte) 0);
                return true;
            case MAP: {
                if (available - pos < 6) {
                    return false;
                }
                final int at = start + (int) pos;
                final byte keyType = buf.getByte(at);
                final byte valueType = buf.getByte(at + 1);
                final int count = buf.getInt(at + 2);
                if (count < 0) {
                    throw new KitexCodecException("Thrift message: negative map size " + count);
                }
                pos += 6;
                if (count > 0) {
                    final int keySize = checkElementType(keyType);
                    final int valueSize = checkElementType(valueType);
                    if (keySize > 0 && valueSize > 0) {
                        pos += (long) count * (keySize + valueSize);
                    } else {
                        push(MAP, 2L * count, keyType, valueType);
                    }
                }
                checkLimit(limit, "map");
                return true;
            }
            case LIST:
            case SET: {
                if (available - pos < 5) {
                    return false;
                }
                final int at = start + (int) pos;
                final byte elementType = buf.getByte(at);
                final int count = buf.getInt(at + 1);
                if (count < 0) {
                    throw new KitexCodecException("Thrift message: negative list/set size " + count);
                }
                pos += 5;
                if (count > 0) {
                    final int elementSize = checkElementType(elementType);
                    if (elementSize > 0) {
                        pos += (long) count * elementSize;
                    } else {
                        push(LIST, count, elementType, (byte) 0);
                    }
                }
                checkLimit(limit, "list");
                return true;
            }
            default:
                throw unknownType(type);
        }
    }

    private void push(byte kind, long count, byte type1, byte type2) {
        if (depth == maxDepth) {
            throw new KitexCodecException(Kind.NESTING_TOO_DEEP, "Thrift message: nesting depth exceeds " + maxDepth);
        }
        kinds[depth] = kind;
        remaining[depth] = count;
        types1[depth] = type1;
        types2[depth] = type2;
        depth++;
    }

    private void checkLimit(long limit, String what) {
        if (pos > limit) {
            throw new KitexCodecException(Kind.FRAME_TOO_LARGE, "Buffered Thrift message exceeds the limit of "
                                                                + limit + " bytes (a " + what + " reaches byte "
                                                                + pos + ")");
        }
    }

    private static int checkElementType(byte type) {
        final int size = fixedSize(type);
        if (size == 0 && !isVariable(type)) {
            throw unknownType(type);
        }
        return size;
    }

    private static KitexCodecException unknownType(byte type) {
        return new KitexCodecException("Thrift message: unknown data type " + type);
    }

    /** Encoded size of a fixed-size type, 0 for every other type. */
    static int fixedSize(byte type) {
        return switch (type) {
            case BOOL, BYTE -> 1;
            case I16 -> 2;
            case I32 -> 4;
            case I64, DOUBLE -> 8;
            default -> 0;
        };
    }

    private static boolean isVariable(byte type) {
        return type == STRING || type == STRUCT || type == MAP || type == SET || type == LIST;
    }
}
