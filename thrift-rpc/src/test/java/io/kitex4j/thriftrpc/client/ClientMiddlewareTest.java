package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.CurrentCallContext;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Client middleware against a real socket server that scripts its replies. */
@ExtendWith(NettyLeakDetection.class)
class ClientMiddlewareTest {

    private ScriptedServer server;
    private KitexClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static void echo(io.netty.channel.ChannelHandlerContext ctx, io.kitex4j.thriftrpc.internal.codec.KitexFrame req) {
        ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue()),
                TTHeader.builder().string("bk", "bv"));
    }

    private KitexClientBuilder builder() throws Exception {
        if (server == null) {
            server = new ScriptedServer(ClientMiddlewareTest::echo);
        }
        return KitexClient.builder().service("interop").addresses(server.address()).transport(Transport.TTHEADER_FRAMED);
    }

    private static Middleware recording(String name, List<String> events) {
        return next -> (ctx, req) -> {
            events.add(name + " in");
            return next.invoke(ctx, req).whenComplete((v, e) -> events.add(name + " out"));
        };
    }

    @Test
    void middlewareRunsInRegistrationOrderFirstOutermost() throws Exception {
        final List<String> events = new CopyOnWriteArrayList<>();
        client = builder().middleware(recording("a", events), recording("b", events))
                .middleware(recording("c", events)).build();
        assertThat(client.stub(InteropService.Iface.class).echoString("x")).isEqualTo("x");
        assertThat(events).containsExactly("a in", "b in", "c in", "c out", "b out", "a out");

        // Every way of calling goes through it.
        events.clear();
        assertThat(client.async(InteropService.Iface.class).call(i -> i.echoString("y")).join()).isEqualTo("y");
        assertThat(events).hasSize(6);
        events.clear();
        client.call("InteropService", "echoString", new InteropService.echoString_args("z"),
                InteropService.echoString_result::new, CallOptions.DEFAULT).join();
        assertThat(events).hasSize(6);
    }

    @Test
    void aVariantAppendsItsMiddlewareToItsParents() throws Exception {
        final List<String> events = new CopyOnWriteArrayList<>();
        client = builder().middleware(recording("parent", events)).build();
        try (KitexClient variant = client.newBuilder().middleware(recording("child", events)).build()) {
            variant.stub(InteropService.Iface.class).echoString("x");
            assertThat(events).containsExactly("parent in", "child in", "child out", "parent out");
            assertThat(variant.middlewares()).hasSize(2);
        }
        events.clear();
        client.stub(InteropService.Iface.class).echoString("x");
        assertThat(events).containsExactly("parent in", "parent out");
    }

    @Test
    void aMiddlewareCanShortCircuitWithoutAnyConnection() throws Exception {
        client = builder().middleware(next -> (ctx, req) -> CompletableFuture.completedFuture("cached")).build();
        assertThat(client.stub(InteropService.Iface.class).echoString("x")).isEqualTo("cached");
        assertThat(server.connections.get()).isZero();
        assertThat(server.requests).isEmpty();
    }

    /** The user's own exception, for a middleware that maps remote errors. */
    static final class ServiceUnavailable extends RuntimeException {
        ServiceUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Test
    void aMiddlewareCanMapExceptions() throws Exception {
        server = new ScriptedServer((ctx, req) -> ScriptedServer.exception(ctx, req, 6, "biz error: down"));
        client = builder().middleware(next -> (ctx, req) -> next.invoke(ctx, req).exceptionallyCompose(e -> {
            final Throwable cause = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
            if (cause instanceof RemoteApplicationException r && r.typeId() == TApplicationException.INTERNAL_ERROR) {
                return CompletableFuture.failedFuture(new ServiceUnavailable(ctx.method() + ": " + r.getMessage(), r));
            }
            return CompletableFuture.failedFuture(cause);
        })).build();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).fail("x"))
                .isInstanceOf(ServiceUnavailable.class)
                .hasMessage("fail: biz error: down")
                .hasCauseInstanceOf(RemoteApplicationException.class);
    }

    @Test
    void aMiddlewareThatRetriesMakesASecondAttempt() throws Exception {
        final AtomicInteger served = new AtomicInteger();
        server = new ScriptedServer((ctx, req) -> {
            if (served.incrementAndGet() == 1) {
                ScriptedServer.exception(ctx, req, TApplicationException.INTERNAL_ERROR, "try again");
            } else {
                echo(ctx, req);
            }
        });
        final List<Integer> attempts = new CopyOnWriteArrayList<>();
        final List<Object> remotes = new CopyOnWriteArrayList<>();
        client = builder().middleware(next -> (ctx, req) -> {
            attempts.add(ctx.attempt());
            return next.invoke(ctx, req).exceptionallyCompose(e -> {
                remotes.add(ctx.remoteAddress());
                attempts.add(ctx.attempt());
                return next.invoke(ctx, req).whenComplete((v, e2) -> attempts.add(ctx.attempt()));
            });
        }).build();
        assertThat(client.stub(InteropService.Iface.class).echoString("x")).isEqualTo("x");
        assertThat(attempts).containsExactly(1, 1, 2);
        assertThat(served.get()).isEqualTo(2);
        assertThat(remotes).singleElement().hasToString("/127.0.0.1:" + server.port());
        // Each attempt is its own request, with its own sequence id.
        assertThat(server.requests.get(0).message().seqId()).isNotEqualTo(server.requests.get(1).message().seqId());
    }

    @Test
    void aMiddlewareSeesTheCallAndCanChangeItsMetainfo() throws Exception {
        final AttributeKey<String> key = AttributeKey.of("seen");
        final List<CallContext> seen = new CopyOnWriteArrayList<>();
        final List<Map<String, String>> backward = new CopyOnWriteArrayList<>();
        client = builder().fromService("caller-svc").rpcTimeout(Duration.ofSeconds(5))
                .middleware(next -> (ctx, req) -> {
                    seen.add(ctx);
                    assertThat(ctx.remoteAddress()).isNull();
                    ctx.setMetainfo(ctx.metainfo().withTransient("mw", "added"));
                    ctx.setAttribute(key, "by middleware");
                    return next.invoke(ctx, req).whenComplete((v, e) -> backward.add(ctx.backwardValues()));
                }).build();
        final long before = System.nanoTime();
        try (Metainfo.Scope ignored = Metainfo.empty().withTransient("caller", "kept").attach()) {
            assertThat(client.stub(InteropService.Iface.class).echoString("x")).isEqualTo("x");
        }
        final CallContext ctx = seen.get(0);
        assertThat(ctx.side()).isEqualTo(CallContext.Side.CLIENT);
        assertThat(ctx.callerService()).isEqualTo("caller-svc");
        assertThat(ctx.callerMethod()).isEmpty();
        assertThat(ctx.calleeService()).isEqualTo("interop");
        assertThat(ctx.idlService()).isEqualTo("InteropService");
        assertThat(ctx.method()).isEqualTo("echoString");
        assertThat(ctx.transport()).isEqualTo(Transport.TTHEADER_FRAMED);
        assertThat(ctx.oneway()).isFalse();
        assertThat(ctx.rpcTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(ctx.deadlineNanos() - before).isBetween(0L, Duration.ofSeconds(6).toNanos());
        assertThat(ctx.attempt()).isEqualTo(1);
        assertThat(ctx.remoteAddress()).hasToString("/127.0.0.1:" + server.port());
        assertThat(ctx.attribute(key)).isEqualTo("by middleware");
        assertThat(backward).singleElement().satisfies(m -> assertThat(m).containsEntry("bk", "bv"));
        assertThatThrownBy(() -> ctx.sendBackward("k", "v")).isInstanceOf(UnsupportedOperationException.class);

        final TTHeader sent = server.last().header();
        assertThat(sent.string(MetaKeys.TRANSIT_PREFIX + "mw")).isEqualTo("added");
        assertThat(sent.string(MetaKeys.TRANSIT_PREFIX + "caller")).isEqualTo("kept");
        assertThat(sent.intValue(MetaKeys.FROM_SERVICE)).isEqualTo("caller-svc");
    }

    @Test
    void theEndpointMustGetTheCallsOwnContext() throws Exception {
        client = builder().middleware(next -> (ctx, req) -> next.invoke(new DelegatingContext(ctx), req)).build();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("a client middleware must pass on the CallContext it was given");
        assertThat(server.requests).isEmpty();
    }

    @Test
    void onewayCallsGoThroughMiddlewareToo() throws Exception {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Boolean> oneway = new CopyOnWriteArrayList<>();
        client = builder().middleware(recording("a", events), next -> (ctx, req) -> {
            oneway.add(ctx.oneway());
            return next.invoke(ctx, req);
        }).build();
        client.async(InteropService.Iface.class).run(i -> i.onewayPut("k", "v")).join();
        assertThat(events).containsExactly("a in", "a out");
        assertThat(oneway).containsExactly(true);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> server.requests.size() == 1);
    }

    @Test
    void theCallerMethodIsTheMethodTheServingThreadServes() throws Exception {
        client = builder().build();
        try (CurrentCallContext.Scope ignored = CurrentCallContext.enter(new ServingContext("Handle"))) {
            client.stub(InteropService.Iface.class).echoString("x");
        }
        assertThat(server.last().header().intValue(MetaKeys.FROM_METHOD)).isEqualTo("Handle");
        client.stub(InteropService.Iface.class).echoString("y");
        assertThat(server.last().header().intValue(MetaKeys.FROM_METHOD)).isEmpty();
    }

    /** What a server publishes around its handler; only side() and method() matter to a client. */
    private static final class ServingContext extends DelegatingContext {
        private final String method;

        ServingContext(String method) {
            super(null);
            this.method = method;
        }

        @Override public Side side() { return Side.SERVER; }
        @Override public String method() { return method; }
    }

    /** A context that is not the call's: the terminal endpoint refuses it. */
    private static class DelegatingContext implements CallContext {
        private final CallContext d;

        DelegatingContext(CallContext d) {
            this.d = d;
        }

        @Override public Side side() { return d.side(); }
        @Override public String callerService() { return d.callerService(); }
        @Override public String callerMethod() { return d.callerMethod(); }
        @Override public String calleeService() { return d.calleeService(); }
        @Override public String idlService() { return d.idlService(); }
        @Override public String method() { return d.method(); }
        @Override public Transport transport() { return d.transport(); }
        @Override public boolean oneway() { return d.oneway(); }
        @Override public Duration rpcTimeout() { return d.rpcTimeout(); }
        @Override public long deadlineNanos() { return d.deadlineNanos(); }
        @Override public java.net.InetSocketAddress remoteAddress() { return d.remoteAddress(); }
        @Override public int attempt() { return d.attempt(); }
        @Override public Metainfo metainfo() { return d.metainfo(); }
        @Override public void setMetainfo(Metainfo metainfo) { d.setMetainfo(metainfo); }
        @Override public Map<String, String> backwardValues() { return d.backwardValues(); }
        @Override public void sendBackward(String key, String value) { d.sendBackward(key, value); }
        @Override public <T> T attribute(AttributeKey<T> key) { return d.attribute(key); }
        @Override public <T> void setAttribute(AttributeKey<T> key, T value) { d.setAttribute(key, value); }
    }
}
