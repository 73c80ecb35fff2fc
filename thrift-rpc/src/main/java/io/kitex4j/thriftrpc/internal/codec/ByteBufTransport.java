package io.kitex4j.thriftrpc.internal.codec;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;

/**
 * A libthrift {@link TTransport} that reads from and writes to a Netty {@link ByteBuf}, so that
 * generated {@code TBase} classes can be (de)serialized with {@link org.apache.thrift.protocol.TBinaryProtocol}
 * straight from and into the channel's buffers. Reads consume from the reader index; writes append at
 * the writer index.
 *
 * <h2>libthrift compatibility</h2>
 * One class works with libthrift 0.14 to 0.22: it implements every abstract method of
 * {@code TTransport} in those versions ({@code isOpen, open, close, read, write}, and since 0.14
 * {@code getConfiguration, updateKnownMessageSize, checkReadBytesAvailable}), and overrides nothing
 * else. {@link #checkReadBytesAvailable} is what bounds decoding: {@code TBinaryProtocol} calls it with
 * the minimum size of every string and container it is about to allocate, and this transport refuses
 * any size larger than what is left in the buffer, so a forged length cannot make it allocate more
 * than the message holds.
 *
 * <p>The direct-access buffer methods ({@code getBuffer()} and friends) are deliberately left
 * unimplemented: libthrift's {@code readBinary} would otherwise return a {@code ByteBuffer} wrapping
 * the (pooled, soon recycled) buffer's array instead of a copy.
 *
 * <p>Not thread-safe.
 */
public final class ByteBufTransport extends TTransport {

    // Bounds are enforced per buffer by checkReadBytesAvailable; libthrift's own defaults (100 MB
    // messages) must not get in the way of a configured larger frame limit.
    private static final TConfiguration CONFIGURATION =
            new TConfiguration(Integer.MAX_VALUE, Integer.MAX_VALUE, TConfiguration.DEFAULT_RECURSION_DEPTH);

    private ByteBuf buf;

    /** A transport over {@code buf}; the caller keeps ownership of the buffer. */
    public ByteBufTransport(ByteBuf buf) {
        this.buf = requireNonNull(buf, "buf");
    }

    /** Points this transport at another buffer (for {@link ByteBufBinaryProtocol}'s per-thread reuse). */
    void reset(ByteBuf buf) {
        this.buf = buf;
    }

    /** The underlying buffer. */
    public ByteBuf buffer() {
        return buf;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void open() {}

    @Override
    public void close() {}

    @Override
    public int read(byte[] dst, int off, int len) throws TTransportException {
        final int n = Math.min(len, buf.readableBytes());
        if (n <= 0 && len > 0) {
            throw new TTransportException(TTransportException.END_OF_FILE,
                                          "Thrift message truncated: " + len + " more bytes expected");
        }
        buf.readBytes(dst, off, n);
        return n;
    }

    @Override
    public void write(byte[] src, int off, int len) {
        buf.writeBytes(src, off, len);
    }

    @Override
    public TConfiguration getConfiguration() {
        return CONFIGURATION;
    }

    @Override
    public void updateKnownMessageSize(long size) {
        // The buffer's readable bytes are the message size; nothing to track.
    }

    @Override
    public void checkReadBytesAvailable(long numBytes) throws TTransportException {
        if (numBytes > buf.readableBytes()) {
            throw new TTransportException(TTransportException.END_OF_FILE,
                                          "Thrift message truncated or corrupt: " + numBytes
                                          + " bytes announced, " + buf.readableBytes() + " left");
        }
    }
}
