package io.kitex4j.thriftrpc.internal.codec;

import static java.util.Objects.requireNonNull;

import io.netty.handler.codec.DecoderException;

/**
 * Bytes received from a peer that kitex4j cannot accept. The message is the reason, written to be
 * logged as is (for example {@code "unsupported protocol: HTTP/2 connection preface (gRPC), first
 * bytes 0x50524920 0x2a204854"}). A Kitex server treats the same input as a protocol error: it sends
 * no reply and closes the connection, and so should a kitex4j server or client.
 *
 * <p>{@link KitexFrameDecoder} throws it from {@code decode}, so that it reaches
 * {@code exceptionCaught}; after that the decoder discards everything else the connection sends.
 * {@link ThriftCodec} throws it for a malformed Thrift message, and
 * {@link io.kitex4j.core.BizStatusException#fromResponse} for a malformed {@code biz-extra}.
 */
public final class KitexCodecException extends DecoderException {

    private static final long serialVersionUID = 1L;

    /** What kind of problem was found; the message says exactly what. */
    public enum Kind {
        /** A length field (or a Buffered message being skipped) exceeds the configured maximum. */
        FRAME_TOO_LARGE,
        /**
         * Something that is not one of Kitex's four Thrift transports: HTTP/2, Thrift Compact, Apache
         * THeader, MeshHeader, Kitex Protobuf, TTHeader Streaming, non-strict binary, or garbage.
         */
        UNSUPPORTED_PROTOCOL,
        /** One of the four transports, but with inconsistent or invalid fields. */
        MALFORMED,
        /** The connection ended in the middle of a message. */
        TRUNCATED,
        /**
         * A struct or container nested deeper than the configured limit (Kitex's skip decoder: 64), refused
         * while the message is decoded, or while a Buffered message is framed.
         */
        NESTING_TOO_DEEP,
    }

    private final Kind kind;
    private final ThriftMessageHeader refusedMessage;

    /** A {@link Kind#MALFORMED} problem. */
    public KitexCodecException(String message) {
        this(Kind.MALFORMED, message, null);
    }

    /** A problem of the given kind. */
    public KitexCodecException(Kind kind, String message) {
        this(kind, message, null);
    }

    /** A problem of the given kind, caused by {@code cause} (for example a libthrift exception). */
    public KitexCodecException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, null);
    }

    /**
     * A problem found in the body of the message whose (already checked) header is {@code refusedMessage},
     * so that a server can still answer it with an exception, as Kitex does after reading the header.
     */
    public KitexCodecException(Kind kind, String message, Throwable cause, ThriftMessageHeader refusedMessage) {
        super(message, cause);
        this.kind = requireNonNull(kind, "kind");
        this.refusedMessage = refusedMessage;
    }

    /** The kind of problem. */
    public Kind kind() {
        return kind;
    }

    /**
     * The header (name, type, seqId) of the message whose body was refused, when it was read before the
     * problem was found (a Buffered message nested too deep); otherwise null.
     */
    public ThriftMessageHeader refusedMessage() {
        return refusedMessage;
    }
}
