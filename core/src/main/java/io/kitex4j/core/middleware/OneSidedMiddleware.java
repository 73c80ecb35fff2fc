package io.kitex4j.core.middleware;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.core.rpc.CallContext;
import java.util.concurrent.CompletableFuture;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * A middleware that belongs on one side of a call, such as the client or the server half of a tracing or metrics
 * pair. Put on the wrong side (a client middleware given to a server), it passes calls through untouched and logs
 * {@code wrongSideMessage} as a rate-limited warning, instead of recording nonsense.
 */
public abstract class OneSidedMiddleware implements Middleware {

    private final CallContext.Side side;
    private final String wrongSideMessage;
    private final RateLimitedLog wrongSide;

    /**
     * @param side the side this middleware serves
     * @param wrongSideMessage the warning logged when it runs on the other side
     */
    protected OneSidedMiddleware(CallContext.Side side, String wrongSideMessage) {
        this.side = requireNonNull(side, "side");
        this.wrongSideMessage = requireNonNull(wrongSideMessage, "wrongSideMessage");
        this.wrongSide = new RateLimitedLog(LoggerFactory.getLogger(getClass()), Level.WARN, "middleware_wrong_side");
    }

    /** The side this middleware serves. */
    public final CallContext.Side side() {
        return side;
    }

    @Override
    public final Endpoint wrap(Endpoint next) {
        requireNonNull(next, "next");
        return (ctx, request) -> {
            if (ctx.side() != side) {
                wrongSide.log(wrongSideMessage);
                return next.invoke(ctx, request);
            }
            return call(next, ctx, request);
        };
    }

    /** Serves one call on this middleware's side; {@code next} is the rest of the chain. */
    protected abstract CompletableFuture<Object> call(Endpoint next, CallContext ctx, Object request);
}
