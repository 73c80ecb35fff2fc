package io.kitex4j.thriftrpc.server;

import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;

/** Server middleware: order, short-circuit, metainfo, exception mapping, asynchronous middleware. */
@ExtendWith(NettyLeakDetection.class)
class ServerMiddlewareTest {

    private static final byte CALL = 1;
    private static final AttributeKey<String> SEEN_BY = AttributeKey.of("seen-by");

    private final InteropHandler interop = new InteropHandler("kitex4j-test");
    private final List<String> events = new CopyOnWriteArrayList<>();
    private KitexServer server;
    private ScheduledExecutorService timer;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void start(Middleware... middlewares) {
        server = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, interop)
                            .serviceName("mw-test").middleware(middlewares).shutdownHook(false).build();
        server.start().join();
    }

    private Middleware recording(String name) {
        return next -> (ctx, req) -> {
            events.add(name + " in " + ctx.method());
            return next.invoke(ctx, req).whenComplete((v, e) -> events.add(name + " out " + (e == null ? v : e)));
        };
    }

    private Wire.Response call(Transport t, String method, org.apache.thrift.TBase<?, ?> args,
                               Map<String, String> strings) throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(t, 5, strings, Map.of(3, "caller-svc", 20, "callerM"), message(method, CALL, 5, args)));
            return c.read(t);
        }
    }

    @Test
    void middlewareRunsInRegistrationOrderAroundTheHandlerAndSeesTheCallContext() throws Exception {
        final List<CallContext> seen = new CopyOnWriteArrayList<>();
        start(recording("first"), next -> (ctx, req) -> {
            seen.add(ctx);
            seen.add(CallContext.current());
            ctx.setAttribute(SEEN_BY, "second");
            return next.invoke(ctx, req);
        }, recording("third"));
        final Wire.Response r = call(Transport.TTHEADER, "echoString", new InteropService.echoString_args("hi"),
                                     Map.of("isn", "InteropService"));
        assertThat(r.result(new InteropService.echoString_result()).getSuccess()).isEqualTo("hi");
        assertThat(events).containsExactly("first in echoString", "third in echoString", "third out hi",
                                           "first out hi");
        final CallContext ctx = seen.get(0);
        assertThat(seen.get(1)).isSameAs(ctx);
        assertThat(ctx).isSameAs(interop.contexts.get(0));
        assertThat(ctx.side()).isEqualTo(CallContext.Side.SERVER);
        assertThat(ctx.callerService()).isEqualTo("caller-svc");
        assertThat(ctx.callerMethod()).isEqualTo("callerM");
        assertThat(ctx.calleeService()).isEqualTo("mw-test");
        assertThat(ctx.idlService()).isEqualTo("InteropService");
        assertThat(ctx.transport()).isEqualTo(Transport.TTHEADER);
        assertThat(ctx.attempt()).isEqualTo(1);
        assertThat(ctx.remoteAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(ctx.attribute(SEEN_BY)).isEqualTo("second");
        assertThat(CallContext.current()).isNull();
    }

    @Test
    void middlewareCanShortCircuitWithAValueOrAnException() throws Exception {
        start(next -> (ctx, req) -> {
            final InteropService.echoString_args args = (InteropService.echoString_args) req;
            if (args.getValue().equals("cached")) {
                return CompletableFuture.completedFuture("from cache");
            }
            if (args.getValue().equals("denied")) {
                return CompletableFuture.failedFuture(new SecurityException("not allowed"));
            }
            return next.invoke(ctx, req);
        });
        assertThat(call(Transport.FRAMED, "echoString", new InteropService.echoString_args("cached"), Map.of())
                           .result(new InteropService.echoString_result()).getSuccess()).isEqualTo("from cache");
        final TApplicationException denied =
                call(Transport.FRAMED, "echoString", new InteropService.echoString_args("denied"), Map.of())
                        .exception();
        assertThat(denied.getType()).isEqualTo(6);
        assertThat(denied.getMessage()).isEqualTo("biz error: not allowed");
        assertThat(interop.contexts).isEmpty();
        assertThat(call(Transport.FRAMED, "echoString", new InteropService.echoString_args("x"), Map.of())
                           .result(new InteropService.echoString_result()).getSuccess()).isEqualTo("x");
    }

    @Test
    void middlewareChangesTheMetainfoTheHandlerSees() throws Exception {
        start(next -> (ctx, req) -> {
            events.add("received " + ctx.metainfo().transientValue("t") + " " + ctx.metainfo().persistentValue("p"));
            ctx.setMetainfo(ctx.metainfo().withPersistent("added", "by-mw"));
            return next.invoke(ctx, req);
        });
        final Wire.Response r = call(Transport.TTHEADER_FRAMED, "callInfo", new InteropService.callInfo_args(),
                                     Map.of("RPC_TRANSIT_t", "tv", "RPC_PERSIST_p", "pv",
                                            // the shared handler sends a transient send-back-<k> back as <k>
                                            "RPC_TRANSIT_send-back-backward-key", "backward-value"));
        final CallInfo info = r.result(new InteropService.callInfo_result()).getSuccess();
        assertThat(events).containsExactly("received tv pv");
        assertThat(info.getPersistents()).containsEntry("p", "pv").containsEntry("added", "by-mw");
        assertThat(interop.metainfos.get(0).persistentValue("added")).isEqualTo("by-mw");
        assertThat(interop.metainfos.get(0).transientValue("t")).isEqualTo("tv");
        assertThat(r.strings()).containsEntry("backward-key", "backward-value");
    }

    @Test
    void middlewareSeesAndMapsHandlerExceptions() throws Exception {
        start(recording("outer"), next -> (ctx, req) -> next.invoke(ctx, req).handle((v, e) -> {
            if (e instanceof IllegalStateException && "to-biz".equals(e.getMessage())) {
                throw new BizStatusException(4001, "mapped", Map.of("from", "mw"));
            }
            if (e == null && "to-declared".equals(v)) {
                throw new java.util.concurrent.CompletionException(new InvalidArgument(7, "declared now"));
            }
            if (e != null) {
                throw e instanceof RuntimeException ? (RuntimeException) e
                                                    : new java.util.concurrent.CompletionException(e);
            }
            return v;
        }));
        // A declared exception reaches middleware as the exception, and is still a REPLY with its field set.
        final InteropService.throwDeclared_result declared =
                call(Transport.TTHEADER, "throwDeclared", new InteropService.throwDeclared_args(1, 400, "bad"), Map.of())
                        .result(new InteropService.throwDeclared_result());
        assertThat(declared.getInvalidArgument().getCode()).isEqualTo(400);
        assertThat(events).anySatisfy(e -> assertThat(e).startsWith("outer out").contains("InvalidArgument(code:400"));

        final Wire.Response biz = call(Transport.TTHEADER, "fail", new InteropService.fail_args("to-biz"), Map.of());
        biz.result(new InteropService.fail_result());
        assertThat(biz.strings()).containsEntry("biz-status", "4001").containsEntry("biz-message", "mapped")
                                 .containsEntry("biz-extra", "{\"from\":\"mw\"}");

        // A success turned into a declared exception by middleware: a REPLY with the field set.
        final InteropService.throwDeclared_result mappedToDeclared =
                call(Transport.BUFFERED, "throwDeclared", new InteropService.throwDeclared_args(0, 0, "to-declared"),
                     Map.of()).result(new InteropService.throwDeclared_result());
        assertThat(mappedToDeclared.isSetSuccess()).isFalse();
        assertThat(mappedToDeclared.getInvalidArgument().getCode()).isEqualTo(7);

        final TApplicationException undeclared =
                call(Transport.BUFFERED, "fail", new InteropService.fail_args("boom"), Map.of()).exception();
        assertThat(undeclared.getType()).isEqualTo(6);
        assertThat(undeclared.getMessage()).isEqualTo("biz error: boom");
    }

    @Test
    void asynchronousMiddlewareCompletesFromAnotherThread() throws Exception {
        timer = Executors.newSingleThreadScheduledExecutor();
        start(next -> (ctx, req) -> {
            final CompletableFuture<Object> later = new CompletableFuture<>();
            timer.schedule(() -> next.invoke(ctx, req).whenComplete((v, e) -> {
                if (e != null) {
                    later.completeExceptionally(e);
                } else {
                    later.complete(v + " (late)");
                }
            }), 50, TimeUnit.MILLISECONDS);
            return later;
        });
        final Wire.Response r = call(Transport.TTHEADER, "echoString", new InteropService.echoString_args("a"),
                                     Map.of());
        assertThat(r.result(new InteropService.echoString_result()).getSuccess()).isEqualTo("a (late)");
        // The handler ran on the timer's thread, with the call's context pushed there.
        assertThat(interop.threads).singleElement().satisfies(t -> assertThat(t).startsWith("pool-"));
        assertThat(interop.contexts.get(0).method()).isEqualTo("echoString");
    }

    @Test
    void withoutMiddlewareHandlersStillSeeTheNeutralContext() throws Exception {
        start();
        final List<CallContext> current = new CopyOnWriteArrayList<>();
        server.close();
        server = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, new InteropHandler("kitex4j-test") {
            @Override
            public void ping() {
                current.add(CallContext.current());
                current.add(ServerCallContext.current());
            }
        }).shutdownHook(false).build();
        server.start().join();
        call(Transport.FRAMED, "ping", new InteropService.ping_args(), Map.of())
                .result(new InteropService.ping_result());
        assertThat(current).hasSize(2);
        assertThat(current.get(0)).isSameAs(current.get(1));
        assertThat(current.get(0).calleeService()).isEmpty();
        assertThat(current.get(0).metainfo()).isEqualTo(Metainfo.empty());
    }
}
