package io.kitex4j.thriftrpc.client;

import org.apache.thrift.transport.TTransportException;

/**
 * The RPC timeout of a call elapsed before its reply arrived. The connection it was waiting on is
 * closed (or, when multiplexed, the reply is dropped when it comes), as Kitex does.
 *
 * <p>A {@link TTransportException} of type {@link TTransportException#TIMED_OUT}, so generated
 * {@code Iface} signatures can declare it.
 */
public final class RpcTimeoutException extends TTransportException {

    private static final long serialVersionUID = 1L;

    RpcTimeoutException(String message) {
        super(TIMED_OUT, message);
    }
}
