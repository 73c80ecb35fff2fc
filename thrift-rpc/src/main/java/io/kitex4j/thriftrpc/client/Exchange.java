package io.kitex4j.thriftrpc.client;

import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.netty.channel.ChannelFutureListener;

/**
 * The receiving end of one request sent on a {@link ClientConnection}: one attempt of a call. It is also
 * the listener of the request's write (no per-call lambda), which hands the outcome to
 * {@link ClientConnection#onWritten}.
 */
interface Exchange extends ChannelFutureListener {

    /** The reply arrived. Takes ownership of {@code frame}: it must be released. */
    void onFrame(ClientConnection connection, KitexFrame frame);

    /**
     * The request failed on the connection, which is closed or closing.
     *
     * @param retryable whether the server cannot have processed the request: nothing was
     *     delivered, the connection was reset before any reply byte came (the server left the
     *     request unread), or a reused connection was found closed before any reply byte came
     *     (the stale-connection race)
     */
    void onFailure(ClientConnection connection, Throwable cause, boolean retryable);

    /** A oneway request was written. */
    void onSent(ClientConnection connection);
}
