package io.kitex4j.core;

/**
 * The server answered with a Thrift application error ({@code TApplicationException}): unknown method,
 * protocol error, an exception in the handler, and so on. {@link #typeId()} is Thrift's type (Kitex's
 * {@code remote.TransError} type IDs are the same numbers). The Thrift exception is the
 * {@linkplain #getCause() cause}.
 */
public final class RemoteApplicationException extends RpcException {

    private static final long serialVersionUID = 1L;

    private final int typeId;

    /** An exception with the server's message, its Thrift type ID, and the Thrift exception as cause. */
    public RemoteApplicationException(String message, int typeId, Throwable cause) {
        super(message, cause, true);
        this.typeId = typeId;
    }

    /** The Thrift {@code TApplicationException} type, e.g. 1 for an unknown method, 6 for an internal error. */
    public int typeId() {
        return typeId;
    }
}
