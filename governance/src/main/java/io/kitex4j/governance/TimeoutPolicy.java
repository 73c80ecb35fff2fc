package io.kitex4j.governance;

import java.time.Duration;

/**
 * A method's timeouts, config-etcd's {@code rpc_timeout} entry ({@code rpc_timeout_ms},
 * {@code conn_timeout_ms}): each overrides the client's default when not {@code null}; a per-call
 * {@code CallOptions} timeout overrides both, as a Kitex call option overrides the timeout provider.
 * The RPC timeout bounds each attempt, as Kitex's {@code rpcTimeoutMW} does under its retry.
 *
 * @param rpcTimeout the RPC timeout of one attempt, or {@code null} to keep the client's
 * @param connectTimeout the connect timeout, or {@code null} to keep the client's
 */
public record TimeoutPolicy(Duration rpcTimeout, Duration connectTimeout) {

    /**
     * Checks the timeouts.
     *
     * @throws IllegalArgumentException if one is negative or zero
     */
    public TimeoutPolicy {
        if (rpcTimeout != null && (rpcTimeout.isNegative() || rpcTimeout.isZero())) {
            throw new IllegalArgumentException("rpcTimeout: " + rpcTimeout + " (expected: > 0, or null for the client's)");
        }
        if (connectTimeout != null && (connectTimeout.isNegative() || connectTimeout.isZero())) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout
                    + " (expected: > 0, or null for the client's)");
        }
    }
}
