package io.kitex4j.thriftrpc.internal.codec;

import io.netty.handler.codec.EncoderException;

/**
 * A message that cannot be written, because Kitex would refuse it or could not read it: a TTHeader
 * string longer than 65,535 bytes, a header block larger than
 * {@link TTHeader#MAX_ENCODE_HEADER_BYTES}, a payload that is not a strict binary Thrift message, or a
 * {@code TBase} that libthrift refuses to write (for example a required field left unset, which is the
 * {@linkplain #getCause() cause}).
 *
 * <p>Thrown by {@link KitexFrameEncoder} (the write's promise fails with it, and the frame is
 * released) and by {@link ThriftCodec}'s {@code encode*} methods. Nothing is written to the connection
 * for the failed message, so the connection stays usable.
 */
public final class KitexEncodeException extends EncoderException {

    private static final long serialVersionUID = 1L;

    /** With the reason as message. */
    public KitexEncodeException(String message) {
        super(message);
    }

    /** With the reason as message and the underlying failure. */
    public KitexEncodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
