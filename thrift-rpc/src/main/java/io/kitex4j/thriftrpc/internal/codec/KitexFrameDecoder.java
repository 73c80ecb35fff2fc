package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a Kitex connection's bytes into {@link KitexFrame}s, recognising the transport of each
 * message separately, exactly as Kitex's server codec does ({@code kitex/pkg/remote/codec/
 * default_codec.go#DecodeMeta/checkPayload}). Servers and clients use the same decoder: a Kitex server
 * answers in the request's transport, so a client accepts all four in replies.
 *
 * <h2>Detection</h2>
 * Eight bytes are examined at the start of every message:
 * <pre>
 *  bytes 0..3   bytes 4..7
 * +-----------+-----------+
 * |  word 0   |  word 1   |
 * +-----------+-----------+
 *
 *  1. word1 &amp; 0xFFFF0000 == 0x10000000  TTHeader. Read the header, then classify its payload by
 *                                        rules 3 and 4: TTHEADER or TTHEADER_FRAMED.
 *  2. word0 &amp; 0xFFFF0000 == 0xFFAF0000  MeshHeader: refused (never sent by Kitex).
 *  3. word0 &amp; 0xFFFF0000 == 0x80010000  BUFFERED: a bare strict binary message.
 *  4. word1 &amp; 0xFFFF0000 == 0x80010000  FRAMED: word0 is the message length.
 *  5. anything else                     refused: HTTP/2 preface "PRI * HT" (gRPC), Thrift Compact
 *                                        (0x82), Apache THeader (0x0FFF), Kitex Protobuf (0x9001),
 *                                        non-strict binary, garbage.
 * </pre>
 *
 * <h2>Limits and failures</h2>
 * <ul>
 * <li>A length field (TTHeader LENGTH, Framed length) above {@code maxFrameBytes} fails as soon as it
 * has been read, before anything is buffered for it. A Buffered message has no length: it fails as soon
 * as skipping it passes {@code maxFrameBytes}, which a huge string or container length does at once.
 * {@code maxFrameBytes} counts the bytes after the length field (the whole message for Buffered).</li>
 * <li>A Buffered message is walked in place ({@link ThriftBinarySkipper}): every Thrift type, containers
 * nested up to {@code maxNestingDepth} (Kitex: 64), resumed where it stopped when more bytes arrive.</li>
 * <li>Anything refused raises a {@link KitexCodecException} whose message is the reason, to be logged
 * before the connection is closed (Kitex sends no reply to such input and closes too). Afterwards this
 * decoder discards all further input.</li>
 * <li>An incomplete message is waited for; if the connection ends first, a {@link Kind#TRUNCATED}
 * exception reports it.</li>
 * </ul>
 *
 * <h2>Output</h2>
 * One {@link KitexFrame} per message. Its payload is a retained slice of the received bytes starting
 * at the Thrift version word, so nothing is copied; the frame's message header has already been
 * checked. The TTHeader key-values are decoded into Java strings (they are small and outlive the
 * buffer).
 *
 * <h2>Pausing</h2>
 * {@link #pauseDecoding()} stops the decoder from emitting frames: what arrives is kept, undecoded,
 * until {@link #resumeDecoding()}. With auto-read off as well, that bounds how many frames a
 * connection can hold, however many a peer pipelines in one write.
 *
 * <p>Not sharable: one instance per channel.
 */
public final class KitexFrameDecoder extends ByteToMessageDecoder {

    /** Default {@code maxFrameBytes}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
    /**
     * Default nesting limit, as Kitex's skip decoder (64): of a Buffered message while it is framed, and of
     * every message while it is decoded ({@link ThriftCodec#decodeMessage(ByteBuf, org.apache.thrift.TBase,
     * ThriftMessageHeader, int)}). Each struct is a level (the message's struct is level 1), and so is each
     * non-empty list, set or map of structs, containers or strings.
     */
    public static final int DEFAULT_MAX_NESTING_DEPTH = 64;

    static final int MAGIC_MASK = 0xFFFF0000;
    static final int THRIFT_V1 = 0x80010000;
    static final int TTHEADER_MAGIC = 0x10000000;
    static final int MESH_HEADER_MAGIC = 0xFFAF0000;
    static final int KITEX_PROTOBUF_MAGIC = 0x90010000;
    static final int APACHE_THEADER_MAGIC = 0x0FFF0000;
    /** "PRI " and " * HT": the first 8 bytes of the HTTP/2 connection preface. */
    static final int HTTP2_PREFACE_0 = 0x50524920;
    static final int HTTP2_PREFACE_1 = 0x2a204854;
    /** Version word, 4-byte name length, 4-byte seqId. */
    static final int MIN_MESSAGE_HEADER_BYTES = 12;

    private final int maxFrameBytes;
    private final ThriftBinarySkipper skipper;
    private final TTHeaderCodec.StringReader strings = new TTHeaderCodec.StringReader();
    private boolean failed;
    private boolean paused;
    private ChannelHandlerContext ctx;

    /** A decoder with {@link #DEFAULT_MAX_FRAME_BYTES} and {@link #DEFAULT_MAX_NESTING_DEPTH}. */
    public KitexFrameDecoder() {
        this(DEFAULT_MAX_FRAME_BYTES);
    }

    /**
     * A decoder refusing messages larger than {@code maxFrameBytes}.
     *
     * @param maxFrameBytes the largest value accepted in a length field (Framed length, TTHeader LENGTH),
     *     and the largest Buffered message
     */
    public KitexFrameDecoder(int maxFrameBytes) {
        this(maxFrameBytes, DEFAULT_MAX_NESTING_DEPTH);
    }

    /**
     * A decoder refusing messages larger than {@code maxFrameBytes} and Buffered messages nested deeper
     * than {@code maxNestingDepth} (the message's struct counts as 1).
     *
     * @throws IllegalArgumentException if {@code maxFrameBytes} is below 64 or {@code maxNestingDepth}
     *     below 1
     */
    public KitexFrameDecoder(int maxFrameBytes, int maxNestingDepth) {
        if (maxFrameBytes < 64) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 64: " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
        skipper = new ThriftBinarySkipper(maxNestingDepth);
    }

    /** The configured maximum frame size. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /**
     * The bytes received and not yet emitted as a frame: 0 between frames, else the start of a frame
     * still incomplete (or, while {@linkplain #pauseDecoding() paused}, frames not decoded yet). Call it
     * on the channel's event loop.
     */
    public int bufferedBytes() {
        return failed ? 0 : actualReadableBytes();
    }

    /**
     * Stops emitting frames, from the next one on, until {@link #resumeDecoding()}; bytes that arrive
     * meanwhile are kept. Call it on the channel's event loop, e.g. from the handler the frames go to.
     */
    public void pauseDecoding() {
        paused = true;
    }

    /**
     * Emits frames again, starting with those received while paused, in a later task of the event loop
     * (never re-entering the handler that calls it). Call it on the channel's event loop.
     */
    public void resumeDecoding() {
        if (!paused) {
            return;
        }
        paused = false;
        final ChannelHandlerContext c = ctx;
        if (c != null && actualReadableBytes() > 0) {
            c.executor().execute(() -> {
                if (!paused && !c.isRemoved() && actualReadableBytes() > 0) {
                    // Runs the decode loop over what is buffered; the empty buffer adds nothing.
                    try {
                        channelRead(c, Unpooled.EMPTY_BUFFER);
                        channelReadComplete(c);
                    } catch (Exception e) {
                        c.fireExceptionCaught(e);
                    }
                }
            });
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (paused) {
            // Not ByteToMessageDecoder's: with auto-read off and no frame emitted, it would read more,
            // and the pause would buffer without bound.
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (paused) {
            // Nothing consumed, nothing emitted: ByteToMessageDecoder's loop stops and keeps the bytes.
            return;
        }
        try {
            final KitexFrame frame = decodeOne(in);
            if (frame != null) {
                out.add(frame);
            }
        } catch (KitexCodecException e) {
            // Like Netty's failFast frame decoders: after a framing error nothing that follows can be
            // trusted to start at a message boundary, so drop it all; the handler closes the channel.
            failed = true;
            skipper.reset();
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (paused) {
            // The connection ended while the handler wanted no more frames: drop what it never asked for.
            in.skipBytes(in.readableBytes());
            return;
        }
        super.decodeLast(ctx, in, out);
        if (!failed && in.isReadable()) {
            final String what = describeIncomplete(in);
            failed = true;
            skipper.reset();
            in.skipBytes(in.readableBytes());
            throw new KitexCodecException(Kind.TRUNCATED, "connection closed in the middle of a message: " + what);
        }
    }

    /** Decodes the message at the reader index, or returns null if it has not fully arrived. */
    private KitexFrame decodeOne(ByteBuf in) {
        if (in.readableBytes() < 8) {
            return null;
        }
        final int start = in.readerIndex();
        final int word0 = in.getInt(start);
        final int word1 = in.getInt(start + 4);
        if ((word1 & MAGIC_MASK) == TTHEADER_MAGIC) {
            return decodeTTHeader(in, start, word0, word1);
        }
        if ((word0 & MAGIC_MASK) == MESH_HEADER_MAGIC) {
            throw unsupported("MeshHeader (0xFFAF) is not supported", word0, word1);
        }
        if ((word0 & MAGIC_MASK) == THRIFT_V1) {
            return decodeBuffered(in, start);
        }
        if ((word1 & MAGIC_MASK) == THRIFT_V1) {
            return decodeFramed(in, start, word0);
        }
        throw invalidPayload("", word0, word1);
    }

    private KitexFrame decodeFramed(ByteBuf in, int start, int lengthField) {
        final long length = lengthField & 0xFFFFFFFFL;
        checkFrameLength(length, "Framed");
        if (length < MIN_MESSAGE_HEADER_BYTES + 1) {
            throw new KitexCodecException("Framed: length " + length + " is shorter than the smallest Thrift message");
        }
        if (in.readableBytes() - 4 < length) {
            return null;
        }
        return emit(in, Transport.FRAMED, null, start + 4, (int) length, start + 4 + (int) length);
    }

    private KitexFrame decodeBuffered(ByteBuf in, int start) {
        final long length;
        try {
            length = skipper.skipMessage(in, start, in.readableBytes(), maxFrameBytes);
        } catch (KitexCodecException e) {
            if (e.kind() != Kind.NESTING_TOO_DEEP) {
                throw e;
            }
            // The header has been read (the body is walked after it): say which message it was, so that
            // the server can answer it with a protocol error as Kitex does (its skip decoder runs after
            // ReadMessageBegin, pkg/remote/codec/thrift/codec_apache.go#skipThriftStructSlow).
            final ThriftMessageHeader header = ThriftCodec.peekMessageHeader(in, start, in.readableBytes());
            throw new KitexCodecException(Kind.NESTING_TOO_DEEP, "Buffered " + e.getMessage(), null, header);
        }
        if (length == ThriftBinarySkipper.NEED_MORE) {
            return null;
        }
        skipper.reset();
        return emit(in, Transport.BUFFERED, null, start, (int) length, start + (int) length);
    }

    private KitexFrame decodeTTHeader(ByteBuf in, int start, int lengthField, int word1) {
        final long length = lengthField & 0xFFFFFFFFL;
        checkFrameLength(length, "TTHeader");
        final int flags = word1 & 0xFFFF;
        if ((flags & TTHeader.FLAG_STREAMING) != 0) {
            throw unsupported("TTHeader Streaming (flag 0x0002) is not supported", lengthField, word1);
        }
        if (in.readableBytes() < TTHeaderCodec.FIXED_BYTES) {
            return null;
        }
        final int headerBytes = in.getUnsignedShort(start + 12) * 4;
        if (headerBytes == 0 || headerBytes > TTHeader.MAX_DECODE_HEADER_BYTES) {
            throw new KitexCodecException("TTHeader: invalid header size " + headerBytes + " bytes");
        }
        final long frameEnd = length + 4;
        final long payloadLength = frameEnd - TTHeaderCodec.FIXED_BYTES - headerBytes;
        if (payloadLength < 0) {
            throw new KitexCodecException("TTHeader: header size " + headerBytes + " overflows the frame (LENGTH "
                                          + length + " leaves " + (length + 4 - TTHeaderCodec.FIXED_BYTES)
                                          + " bytes after the fixed part)");
        }
        if (in.readableBytes() > TTHeaderCodec.FIXED_BYTES) {
            // Fail fast on the protocol id rather than waiting for the rest of a frame we will refuse.
            final int protocolId = in.getUnsignedByte(start + TTHeaderCodec.FIXED_BYTES);
            if (!TTHeaderCodec.isAcceptedProtocolId(protocolId)) {
                throw TTHeaderCodec.unsupportedProtocolId(protocolId);
            }
        }
        if (in.readableBytes() < frameEnd) {
            return null;
        }
        final int payloadStart = start + TTHeaderCodec.FIXED_BYTES + headerBytes;
        final int seqId = in.getInt(start + 8);
        final TTHeader header =
                TTHeaderCodec.decodeInfo(in, start + TTHeaderCodec.FIXED_BYTES, headerBytes, flags, seqId, strings);
        if (payloadLength < 8) {
            throw new KitexCodecException("TTHeader: payload of " + payloadLength
                                          + " bytes is too short for a Thrift message");
        }
        final int p0 = in.getInt(payloadStart);
        final int p1 = in.getInt(payloadStart + 4);
        final int end = start + (int) frameEnd;
        if ((p0 & MAGIC_MASK) == THRIFT_V1) {
            return emit(in, Transport.TTHEADER, header, payloadStart, (int) payloadLength, end);
        }
        if ((p1 & MAGIC_MASK) == THRIFT_V1) {
            final long inner = p0 & 0xFFFFFFFFL;
            // Kitex would read `inner` bytes and treat any difference as the start of the next message;
            // a mismatch can only be a broken peer, so refuse it instead of desynchronising.
            if (inner != payloadLength - 4) {
                throw new KitexCodecException("TTHeaderFramed: frame length " + inner + " does not match the "
                                              + (payloadLength - 4) + " bytes left in the TTHeader frame");
            }
            return emit(in, Transport.TTHEADER_FRAMED, header, payloadStart + 4, (int) inner, end);
        }
        throw invalidPayload("TTHeader payload: ", p0, p1);
    }

    private KitexFrame emit(ByteBuf in, Transport transport, TTHeader header, int messageStart, int messageLength,
                            int end) {
        // Checked before slicing, so that a bad message leaks nothing.
        final ThriftMessageHeader messageHeader = ThriftCodec.peekMessageHeader(in, messageStart, messageLength);
        final ByteBuf payload = in.retainedSlice(messageStart, messageLength);
        final int wireBytes = end - in.readerIndex();
        in.readerIndex(end);
        return new KitexFrame(transport, header, payload, messageHeader, wireBytes);
    }

    private void checkFrameLength(long length, String transport) {
        if (length > maxFrameBytes) {
            throw new KitexCodecException(Kind.FRAME_TOO_LARGE, transport + ": frame length " + length
                                                                + " exceeds the limit of " + maxFrameBytes
                                                                + " bytes");
        }
    }

    private String describeIncomplete(ByteBuf in) {
        final int n = in.readableBytes();
        if (n < 8) {
            return n + " bytes received, too few to recognise a transport";
        }
        final int start = in.readerIndex();
        final int word0 = in.getInt(start);
        final int word1 = in.getInt(start + 4);
        if ((word1 & MAGIC_MASK) == TTHEADER_MAGIC) {
            return "TTHeader frame of " + ((word0 & 0xFFFFFFFFL) + 4) + " bytes, " + n + " received";
        }
        if ((word0 & MAGIC_MASK) == THRIFT_V1) {
            return "Buffered message, " + n + " bytes received";
        }
        return "Framed frame of " + ((word0 & 0xFFFFFFFFL) + 4) + " bytes, " + n + " received";
    }

    private static KitexCodecException unsupported(String what, int word0, int word1) {
        return new KitexCodecException(Kind.UNSUPPORTED_PROTOCOL, String.format(
                "unsupported protocol: %s (first4Bytes=0x%08x, second4Bytes=0x%08x)", what, word0, word1));
    }

    private static KitexCodecException invalidPayload(String where, int word0, int word1) {
        final String what;
        if (word0 == HTTP2_PREFACE_0 && word1 == HTTP2_PREFACE_1) {
            what = "HTTP/2 connection preface \"PRI * HT\" (gRPC is not supported)";
        } else if ((word0 & MAGIC_MASK) == APACHE_THEADER_MAGIC || (word1 & MAGIC_MASK) == APACHE_THEADER_MAGIC) {
            what = "Apache/fbthrift THeader (0x0FFF), which is not Kitex TTHeader (0x1000)";
        } else if ((word1 & MAGIC_MASK) == KITEX_PROTOBUF_MAGIC || (word0 & MAGIC_MASK) == KITEX_PROTOBUF_MAGIC) {
            what = "Kitex Protobuf (0x9001) is not supported";
        } else if ((word0 >>> 24) == 0x82 || (word1 >>> 24) == 0x82) {
            what = "Thrift Compact (0x82) is not supported";
        } else if ((word0 & MAGIC_MASK) == MESH_HEADER_MAGIC) {
            what = "MeshHeader (0xFFAF) is not supported";
        } else if ((word0 & 0x80000000) == 0 && (word1 & MAGIC_MASK) != THRIFT_V1 && word0 > 0 && word0 < 256
                   && isPrintable(word1)) {
            what = "non-strict Thrift binary (no version word) is not supported";
        } else {
            what = "invalid payload: neither Buffered, Framed nor TTHeader";
        }
        return new KitexCodecException(Kind.UNSUPPORTED_PROTOCOL, String.format(
                "%sunsupported protocol: %s (first4Bytes=0x%08x, second4Bytes=0x%08x)", where, what, word0, word1));
    }

    // A non-strict message starts with the method name's length, then the name: four printable bytes.
    private static boolean isPrintable(int word) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            final int b = (word >>> shift) & 0xFF;
            if (b < 0x20 || b > 0x7E) {
                return false;
            }
        }
        return true;
    }
}
