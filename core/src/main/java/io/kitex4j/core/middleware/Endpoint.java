package io.kitex4j.core.middleware;

import io.kitex4j.core.rpc.CallContext;
import java.util.concurrent.CompletableFuture;

/**
 * A step that serves a call, Kitex's {@code endpoint.Endpoint}: on a client, what sends the request and
 * waits for the reply; on a server, what runs the handler. {@link Middleware} wraps one in another.
 *
 * <p>{@code request} is the Thrift arguments struct of the method (e.g. {@code EchoServer.Echo_args});
 * the future completes with the method's result value ({@code null} for {@code void} and oneway
 * methods), or exceptionally with a declared Thrift exception, a {@link io.kitex4j.core.BizStatusException}
 * or one of the {@link io.kitex4j.core.RpcException}s. An endpoint never throws: it returns a failed
 * future.
 */
@FunctionalInterface
public interface Endpoint {

    /** Serves the call. */
    CompletableFuture<Object> invoke(CallContext context, Object request);
}
