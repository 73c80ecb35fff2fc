package io.kitex4j.core.middleware;

/**
 * Wraps an {@link Endpoint} in another, Kitex's {@code endpoint.Middleware}
 * ({@code func(next Endpoint) Endpoint}). A middleware sees the {@link io.kitex4j.core.rpc.CallContext},
 * the request and the result or exception; it can measure, change metainfo, map exceptions,
 * short-circuit (return a future without calling {@code next}) and, on a client, call {@code next}
 * again (each call is a new attempt).
 *
 * <p>Order: middleware registered first is outermost, so it runs first on the way in and last on the
 * way out, as in Kitex ({@code client.WithMiddleware}, {@code server.WithMiddleware}).
 *
 * <pre>{@code
 * Middleware timing = next -> (ctx, req) -> {
 *     long start = System.nanoTime();
 *     return next.invoke(ctx, req).whenComplete((res, err) ->
 *             log.info("{} took {} us", ctx.method(), (System.nanoTime() - start) / 1000));
 * };
 * }</pre>
 *
 * <p>{@link #wrap} is called once, when the client or server is built, not per call.
 */
@FunctionalInterface
public interface Middleware {

    /** The endpoint that runs this middleware around {@code next}. */
    Endpoint wrap(Endpoint next);

    /** {@code endpoint} wrapped by {@code middlewares}, the first one outermost. */
    static Endpoint chain(Iterable<? extends Middleware> middlewares, Endpoint endpoint) {
        final java.util.ArrayList<Middleware> list = new java.util.ArrayList<>();
        middlewares.forEach(list::add);
        Endpoint e = endpoint;
        for (int i = list.size() - 1; i >= 0; i--) {
            e = java.util.Objects.requireNonNull(list.get(i).wrap(e), "middleware returned a null endpoint");
        }
        return e;
    }
}
