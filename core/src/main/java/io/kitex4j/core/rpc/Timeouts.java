package io.kitex4j.core.rpc;

import java.time.Duration;

/**
 * The timeouts a {@link TimeoutProvider} chooses for one call, Kitex's {@code rpcinfo.Timeouts}: either may be
 * {@code null} to keep the client's own.
 *
 * @param rpcTimeout the RPC timeout of each attempt of the call (Kitex's RPC timeout bounds one attempt; a
 *     retry policy's max duration bounds them all), {@code null} for the client's; {@link Duration#ZERO} for none
 * @param connectTimeout the connect timeout, {@code null} for the client's
 */
public record Timeouts(Duration rpcTimeout, Duration connectTimeout) {

    /** Neither timeout: the client's own. */
    public static final Timeouts CLIENT_DEFAULTS = new Timeouts(null, null);

    /**
     * Checks the timeouts.
     *
     * @throws IllegalArgumentException if {@code rpcTimeout} is negative or {@code connectTimeout} is not positive
     */
    public Timeouts {
        if (rpcTimeout != null && rpcTimeout.isNegative()) {
            throw new IllegalArgumentException("rpcTimeout: " + rpcTimeout + " (expected: >= 0, 0 for none)");
        }
        if (connectTimeout != null && (connectTimeout.isNegative() || connectTimeout.isZero())) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0)");
        }
    }
}
