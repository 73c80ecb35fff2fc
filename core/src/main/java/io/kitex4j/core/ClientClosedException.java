package io.kitex4j.core;

/**
 * The call was made on a closed client, or the client was closed while the call waited for an instance
 * or a connection. The request was not sent.
 */
public final class ClientClosedException extends RpcException {

    private static final long serialVersionUID = 1L;

    /** An exception with a message. */
    public ClientClosedException(String message) {
        super(message, null, false);
    }
}
