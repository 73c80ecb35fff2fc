package io.kitex4j.thriftrpc.internal.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMap;
import org.apache.thrift.protocol.TProtocolException;
import org.apache.thrift.protocol.TSet;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TTransportException;

/**
 * libthrift's strict {@link TBinaryProtocol}, with the primitive and string methods going straight to
 * the {@link ByteBuf} instead of through libthrift's temporary arrays and {@link ByteBufTransport}'s
 * virtual calls. The bytes are the same. A string is read from the buffer into the {@code String} with
 * one copy (libthrift: a {@code byte[]} of the string's size, then the {@code String}), and written with
 * {@code String.getBytes} plus one bulk copy.
 *
 * <p>Only public methods that every libthrift version from 0.14 to 0.22 has are overridden, with the
 * same contract; anything not overridden (binary, containers, struct and field framing) still works
 * through the transport, on the same buffer. Where libthrift 0.14 would allocate a declared string
 * length before checking it, this checks it against the bytes left first.
 *
 * <p>Every string, binary and container length read is bounded by {@code limit} (the bytes the message
 * had when the protocol was set up), checked here rather than by {@code TBinaryProtocol}'s own limits
 * so that one instance can serve many messages: {@link #acquire} hands out one per thread (a libthrift
 * protocol allocates about 300 bytes of scratch arrays when created), and {@link #release} gives it
 * back. Field headers of the common kinds are shared, immutable {@link TField}s.
 *
 * <p>Reading counts nesting without recursion of its own: libthrift's generated {@code read} and
 * {@code TProtocolUtil.skip} (0.14 to 0.22) recurse once per nested struct or container, and every level
 * goes through {@code readStructBegin}/{@code readListBegin}/{@code readSetBegin}/{@code readMapBegin} and
 * the matching {@code read*End}, so a level beyond {@code maxDepth} fails there with a
 * {@link TProtocolException#DEPTH_LIMIT} long before the thread's stack runs out. Depth is counted as
 * {@link ThriftBinarySkipper} counts it for a Buffered message: each struct is one level (the message's
 * args or result struct is level 1), and so is each non-empty list, set or map whose elements are not
 * all fixed-size numbers; a container of numbers, or an empty one, can hold nothing nested and adds no
 * level.
 */
final class ByteBufBinaryProtocol extends TBinaryProtocol {

    private static final FastThreadLocal<ByteBufBinaryProtocol> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected ByteBufBinaryProtocol initialValue() {
            return new ByteBufBinaryProtocol(Unpooled.EMPTY_BUFFER, -1);
        }
    };

    /** Field ids below this get a shared {@link TField} per type. */
    private static final int SHARED_FIELD_IDS = 32;
    // Types 0-16 (16 is UUID in libthrift 0.19+).
    private static final TField[][] SHARED_FIELDS = new TField[17][SHARED_FIELD_IDS];
    private static final TField STOP_FIELD = new TField("", TType.STOP, (short) 0);

    static {
        for (byte type = 0; type < SHARED_FIELDS.length; type++) {
            for (short id = 0; id < SHARED_FIELD_IDS; id++) {
                SHARED_FIELDS[type][id] = new TField("", type, id);
            }
        }
    }

    private final ByteBufTransport transport;
    private ByteBuf buf;
    private long limit;
    private boolean inUse;
    private int maxDepth = KitexFrameDecoder.DEFAULT_MAX_NESTING_DEPTH;
    private int depth;
    // A container that adds no level is open (it can hold no other, so there is at most one, innermost):
    // its read*End must not take a level off.
    private boolean flatContainerOpen;

    /**
     * @param limit the largest string or container length accepted when reading (-1: none)
     */
    ByteBufBinaryProtocol(ByteBuf buf, long limit) {
        this(new ByteBufTransport(buf), buf, limit);
    }

    private ByteBufBinaryProtocol(ByteBufTransport transport, ByteBuf buf, long limit) {
        super(transport, -1, -1, true, true);
        this.transport = transport;
        this.buf = buf;
        this.limit = limit;
    }

    /**
     * This thread's protocol over {@code buf} (a new one if this thread's is in use: a struct's code
     * that encodes another message while being encoded); hand it back with {@link #release}.
     */
    static ByteBufBinaryProtocol acquire(ByteBuf buf) {
        return acquire(buf, KitexFrameDecoder.DEFAULT_MAX_NESTING_DEPTH);
    }

    /** As {@link #acquire(ByteBuf)}, reading at most {@code maxDepth} levels of nesting. */
    static ByteBufBinaryProtocol acquire(ByteBuf buf, int maxDepth) {
        final long limit = buf.isReadable() ? buf.readableBytes() : -1;
        ByteBufBinaryProtocol p = PER_THREAD.get();
        if (p.inUse) {
            p = new ByteBufBinaryProtocol(buf, limit);
        } else {
            p.inUse = true;
            p.buf = buf;
            p.limit = limit;
            p.transport.reset(buf);
        }
        // A previous message that failed half-way left its levels open.
        p.maxDepth = maxDepth;
        p.depth = 0;
        p.flatContainerOpen = false;
        return p;
    }

    /** Drops the buffer, so that a pooled buffer is not kept reachable, and frees this for reuse. */
    void release() {
        buf = Unpooled.EMPTY_BUFFER;
        transport.reset(Unpooled.EMPTY_BUFFER);
        inUse = false;
    }

    // ---- write

    @Override
    public void writeByte(byte b) {
        buf.writeByte(b);
    }

    @Override
    public void writeI16(short i16) {
        buf.writeShort(i16);
    }

    @Override
    public void writeI32(int i32) {
        buf.writeInt(i32);
    }

    @Override
    public void writeI64(long i64) {
        buf.writeLong(i64);
    }

    @Override
    public void writeDouble(double dub) {
        buf.writeLong(Double.doubleToLongBits(dub));
    }

    @Override
    public void writeString(String str) {
        // String.getBytes is an intrinsic (a vectorised copy for Latin-1 strings) and beats Netty's
        // char-by-char ByteBufUtil.writeUtf8 by far on long strings, the short-lived array
        // notwithstanding.
        final byte[] bytes = str.getBytes(StandardCharsets.UTF_8);
        buf.writeInt(bytes.length);
        buf.writeBytes(bytes);
    }

    // ---- read

    @Override
    public byte readByte() throws TException {
        need(1);
        return buf.readByte();
    }

    @Override
    public short readI16() throws TException {
        need(2);
        return buf.readShort();
    }

    @Override
    public int readI32() throws TException {
        need(4);
        return buf.readInt();
    }

    @Override
    public long readI64() throws TException {
        need(8);
        return buf.readLong();
    }

    @Override
    public double readDouble() throws TException {
        return Double.longBitsToDouble(readI64());
    }

    @Override
    public String readString() throws TException {
        final int size = checkLength(readI32());
        need(size);
        return buf.readCharSequence(size, StandardCharsets.UTF_8).toString();
    }

    @Override
    public ByteBuffer readBinary() throws TException {
        final int size = checkLength(readI32());
        need(size);
        final byte[] bytes = new byte[size];
        buf.readBytes(bytes);
        return ByteBuffer.wrap(bytes);
    }

    @Override
    public TField readFieldBegin() throws TException {
        final byte type = readByte();
        if (type == TType.STOP) {
            return STOP_FIELD;
        }
        final short id = readI16();
        if (type >= 0 && type < SHARED_FIELDS.length && id >= 0 && id < SHARED_FIELD_IDS) {
            return SHARED_FIELDS[type][id];
        }
        return new TField("", type, id);
    }

    @Override
    public TStruct readStructBegin() throws TException {
        enter();
        return super.readStructBegin();
    }

    @Override
    public void readStructEnd() throws TException {
        leave();
        super.readStructEnd();
    }

    @Override
    public TMap readMapBegin() throws TException {
        final TMap map = super.readMapBegin();
        checkLength(map.size);
        enterContainer(map.size, ThriftBinarySkipper.fixedSize(map.keyType) > 0
                                 && ThriftBinarySkipper.fixedSize(map.valueType) > 0);
        return map;
    }

    @Override
    public void readMapEnd() throws TException {
        leaveContainer();
        super.readMapEnd();
    }

    @Override
    public TList readListBegin() throws TException {
        final TList list = super.readListBegin();
        checkLength(list.size);
        enterContainer(list.size, ThriftBinarySkipper.fixedSize(list.elemType) > 0);
        return list;
    }

    @Override
    public void readListEnd() throws TException {
        leaveContainer();
        super.readListEnd();
    }

    @Override
    public TSet readSetBegin() throws TException {
        final TSet set = super.readSetBegin();
        checkLength(set.size);
        enterContainer(set.size, ThriftBinarySkipper.fixedSize(set.elemType) > 0);
        return set;
    }

    @Override
    public void readSetEnd() throws TException {
        leaveContainer();
        super.readSetEnd();
    }

    private void enterContainer(int size, boolean fixedSizeElements) throws TProtocolException {
        if (size == 0 || fixedSizeElements) {
            flatContainerOpen = true;
        } else {
            enter();
        }
    }

    private void leaveContainer() {
        if (flatContainerOpen) {
            flatContainerOpen = false;
        } else {
            leave();
        }
    }

    private void enter() throws TProtocolException {
        if (depth == maxDepth) {
            throw new TProtocolException(TProtocolException.DEPTH_LIMIT,
                                         "Thrift message: nesting depth exceeds " + maxDepth);
        }
        depth++;
    }

    private void leave() {
        if (depth > 0) {
            depth--;
        }
    }

    /**
     * A declared string, binary or container length, refused if negative or over {@code limit}. For
     * containers this matters with libthrift 0.14, whose generated code allocates the declared size
     * right after {@code read*Begin} returns, before checking it against the bytes left.
     */
    private int checkLength(int size) throws TProtocolException {
        if (size < 0) {
            throw new TProtocolException(TProtocolException.NEGATIVE_SIZE, "Negative length: " + size);
        }
        if (limit >= 0 && size > limit) {
            throw new TProtocolException(TProtocolException.SIZE_LIMIT, "Length exceeded max allowed: " + size);
        }
        return size;
    }

    private void need(int n) throws TTransportException {
        if (buf.readableBytes() < n) {
            throw new TTransportException(TTransportException.END_OF_FILE, "Thrift message truncated: " + n
                                                                           + " bytes needed, "
                                                                           + buf.readableBytes() + " left");
        }
    }
}
