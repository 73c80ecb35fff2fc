package io.kitex4j.core.middleware;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.rpc.CallContext;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class OneSidedMiddlewareTest {

    private static CallContext contextOn(CallContext.Side side) {
        return (CallContext) Proxy.newProxyInstance(CallContext.class.getClassLoader(),
                new Class<?>[] {CallContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("side")) {
                        return side;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void servesItsSideAndPassesTheOtherThrough() {
        final List<String> seen = new ArrayList<>();
        final OneSidedMiddleware clientOnly = new OneSidedMiddleware(CallContext.Side.CLIENT, "client only") {
            @Override
            protected CompletableFuture<Object> call(Endpoint next, CallContext ctx, Object request) {
                seen.add("observed " + request);
                return next.invoke(ctx, request);
            }
        };
        assertThat(clientOnly.side()).isEqualTo(CallContext.Side.CLIENT);
        final Endpoint e = clientOnly.wrap((ctx, req) -> CompletableFuture.completedFuture("reply to " + req));
        assertThat(e.invoke(contextOn(CallContext.Side.CLIENT), "a").join()).isEqualTo("reply to a");
        assertThat(e.invoke(contextOn(CallContext.Side.SERVER), "b").join()).isEqualTo("reply to b");
        assertThat(seen).containsExactly("observed a");
    }
}
