package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One Thrift message as it travels on a Kitex connection: its {@link Transport}, its {@link TTHeader}
 * (for the TTHeader transports) and the strict binary Thrift message itself.
 *
 * <pre>
 * payload: | 80 01 00 TT | u32 nameLen | name | i32 seqId | struct ... 00 |
 * </pre>
 *
 * The payload starts at the version word: no frame length, no TTHeader. {@link KitexFrameDecoder}
 * emits frames whose payload is a retained slice of the received bytes (no copy);
 * {@link KitexFrameEncoder} writes the transport's framing in front of it (again without copying the
 * payload).
 *
 * <p>Reference counted: the frame owns one reference of its payload. Whoever receives a decoded frame
 * must {@link #release()} it; a frame passed to {@code write} is released by the encoder.
 */
public final class KitexFrame extends DefaultByteBufHolder {

    private final Transport transport;
    private final TTHeader header;
    // Parsed from the payload, eagerly by the decoder, lazily otherwise. A racy lazy init is harmless:
    // the record is immutable and every thread would parse the same value.
    private ThriftMessageHeader messageHeader;
    // The whole frame's size as received (0 for a frame built to be written).
    private final int wireBytes;

    /**
     * A frame to be written (or built by hand).
     *
     * @param transport how to frame the message
     * @param header the TTHeader to send with it; {@code null} means an empty one. Ignored when
     *     {@code transport} has no TTHeader: like Kitex, the metadata is then simply not sent.
     * @param payload a strict binary Thrift message, e.g. from
     *     {@link ThriftCodec#encodeMessage}; this frame takes over the caller's reference
     */
    public KitexFrame(Transport transport, TTHeader header, ByteBuf payload) {
        this(transport, header, payload, null);
    }

    KitexFrame(Transport transport, TTHeader header, ByteBuf payload, ThriftMessageHeader messageHeader) {
        this(transport, header, payload, messageHeader, 0);
    }

    KitexFrame(Transport transport, TTHeader header, ByteBuf payload, ThriftMessageHeader messageHeader,
               int wireBytes) {
        super(requireNonNull(payload, "payload"));
        this.wireBytes = wireBytes;
        this.transport = requireNonNull(transport, "transport");
        this.header = header;
        this.messageHeader = messageHeader;
    }

    /** The transport the message came in (or is to be sent) with. */
    public Transport transport() {
        return transport;
    }

    /**
     * The TTHeader: for a decoded frame, non-null exactly when {@link Transport#hasTTHeader()}; for a
     * frame to be written, as given to the constructor.
     */
    public TTHeader header() {
        return header;
    }

    /**
     * For a frame {@link KitexFrameDecoder} produced, the bytes it took on the wire (TTHeader, frame length
     * and message); 0 for a frame built to be written.
     */
    public int wireBytes() {
        return wireBytes;
    }

    /** The strict binary Thrift message; same as {@link #content()}. */
    public ByteBuf payload() {
        return content();
    }

    /**
     * The payload's message header (name, type, seqId), parsed without moving its reader index.
     *
     * @throws KitexCodecException if the payload is not a strict binary Thrift message (never for a
     *     frame produced by {@link KitexFrameDecoder}, which checked it)
     */
    public ThriftMessageHeader messageHeader() {
        ThriftMessageHeader h = messageHeader;
        if (h == null) {
            final ByteBuf p = content();
            h = ThriftCodec.peekMessageHeader(p, p.readerIndex(), p.readableBytes());
            messageHeader = h;
        }
        return h;
    }

    @Override
    public KitexFrame replace(ByteBuf content) {
        return new KitexFrame(transport, header, content, messageHeader, wireBytes);
    }

    @Override
    public KitexFrame copy() {
        return (KitexFrame) super.copy();
    }

    @Override
    public KitexFrame duplicate() {
        return (KitexFrame) super.duplicate();
    }

    @Override
    public KitexFrame retainedDuplicate() {
        return (KitexFrame) super.retainedDuplicate();
    }

    @Override
    public KitexFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public KitexFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public KitexFrame touch() {
        super.touch();
        return this;
    }

    @Override
    public KitexFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        final ThriftMessageHeader h = messageHeader;
        return "KitexFrame{" + transport + (h != null ? ", " + ThriftMessageHeader.typeName(h.type()) + ' '
                                                        + h.name() + " seqId=" + h.seqId() : "")
               + (header != null ? ", " + header : "") + ", payload=" + contentToString() + '}';
    }
}
