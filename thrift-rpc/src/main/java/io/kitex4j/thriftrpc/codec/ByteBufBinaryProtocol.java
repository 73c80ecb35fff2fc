package io.kitex4j.thriftrpc.codec;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TProtocolException;
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
 */
final class ByteBufBinaryProtocol extends TBinaryProtocol {

    private final ByteBuf buf;

    /**
     * @param limit the largest string or container length accepted when reading (-1: none)
     */
    ByteBufBinaryProtocol(ByteBuf buf, long limit) {
        super(new ByteBufTransport(buf), limit, limit, true, true);
        this.buf = buf;
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
        final int size = readI32();
        if (size < 0) {
            throw new TProtocolException(TProtocolException.NEGATIVE_SIZE, "Negative length: " + size);
        }
        need(size);
        return buf.readCharSequence(size, StandardCharsets.UTF_8).toString();
    }

    private void need(int n) throws TTransportException {
        if (buf.readableBytes() < n) {
            throw new TTransportException(TTransportException.END_OF_FILE, "Thrift message truncated: " + n
                                                                           + " bytes needed, "
                                                                           + buf.readableBytes() + " left");
        }
    }
}
