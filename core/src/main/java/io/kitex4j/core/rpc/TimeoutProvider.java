package io.kitex4j.core.rpc;

/**
 * Chooses the timeouts of a call from its context (method, callee), Kitex's {@code rpcinfo.TimeoutProvider}
 * (what config-etcd's {@code rpc_timeout} feeds). A client asks it once per call, when the call starts and
 * before its middleware runs, on the calling thread: it must be fast and must not block.
 *
 * <p>Precedence, per timeout: the call's own options, then the provider, then the client builder's default.
 */
@FunctionalInterface
public interface TimeoutProvider {

    /**
     * The timeouts of the call {@code context} describes (its identity is set; its attempt has not started).
     *
     * @return the timeouts, or {@code null} (the same as {@link Timeouts#CLIENT_DEFAULTS}) for the client's
     */
    Timeouts timeouts(CallContext context);
}
