package io.kitex4j.thriftrpc.client;

import org.apache.thrift.transport.TTransportException;

/**
 * There is no instance to send the call to: discovery found none, or the load balancer picked
 * none (consistent hashing without a key, every weight invalid). Kitex's
 * {@code ErrNoMoreInstance}.
 *
 * <p>A {@link TTransportException} of type {@link TTransportException#NOT_OPEN}.
 */
public final class NoInstanceException extends TTransportException {

    private static final long serialVersionUID = 1L;

    NoInstanceException(String message) {
        super(NOT_OPEN, message);
    }
}
