package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.Transport;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.core.rpc.Timeouts;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the call path guarantees a middleware that invokes its endpoint several times (retries, backup
 * requests): each invocation is an attempt with its own timeout, metainfo snapshot, instance and connection,
 * and cancelling frees what it holds. Against real socket servers that script their replies.
 */
@ExtendWith(NettyLeakDetection.class)
class MiddlewareAttemptsTest {

    private final List<ScriptedServer> servers = new ArrayList<>();
    private KitexClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        servers.forEach(ScriptedServer::close);
    }

    private ScriptedServer server(ScriptedServer.Script script) throws Exception {
        final ScriptedServer s = new ScriptedServer(script);
        servers.add(s);
        return s;
    }

    private static void echo(ChannelHandlerContext ctx, KitexFrame req) {
        ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue()));
    }

    private static KitexClientBuilder builder(ScriptedServer... to) {
        final List<String> addresses = new ArrayList<>();
        for (ScriptedServer s : to) {
            addresses.add(s.address());
        }
        return KitexClient.builder().service("interop").addresses(addresses).transport(Transport.TTHEADER_FRAMED);
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    @Test
    void eachAttemptHasItsOwnRpcTimeout() throws Exception {
        final AtomicInteger served = new AtomicInteger();
        // The first request is never answered; the second after 60% of the RPC timeout.
        final ScriptedServer s = server((ctx, req) -> {
            if (served.incrementAndGet() > 1) {
                // The frame is released when the script returns: answer from a copy.
                final KitexFrame copy = req.copy();
                ctx.executor().schedule(() -> {
                    try {
                        echo(ctx, copy);
                    } finally {
                        copy.release();
                    }
                }, 600, TimeUnit.MILLISECONDS);
            }
        });
        final List<Long> deadlines = new CopyOnWriteArrayList<>();
        client = builder(s).rpcTimeout(Duration.ofSeconds(1)).middleware(next -> (ctx, req) -> {
            final CompletableFuture<Object> first = next.invoke(ctx, req);
            deadlines.add(ctx.deadlineNanos());
            return first.exceptionallyCompose(e -> {
                assertThat(unwrap(e)).isInstanceOf(RpcTimeoutException.class);
                final CompletableFuture<Object> second = next.invoke(ctx, req);
                deadlines.add(ctx.deadlineNanos());
                return second;
            });
        }).build();
        // Both attempts together take longer than the timeout: only a per-attempt timer lets the second succeed.
        assertThat(client.stub(InteropService.Iface.class).echoString("x")).isEqualTo("x");
        assertThat(served.get()).isEqualTo(2);
        assertThat(deadlines).hasSize(2);
        assertThat(deadlines.get(1) - deadlines.get(0)).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(1));
        // Each attempt sends the same RPC timeout (TTHeader key 12).
        assertThat(s.requests).extracting(r -> r.header().intValue(MetaKeys.RPC_TIMEOUT)).containsExactly("1000", "1000");
    }

    @Test
    void anAttemptSendsTheMetainfoOfTheMomentItWasInvoked() throws Exception {
        final ScriptedServer s = server(MiddlewareAttemptsTest::echo);
        client = builder(s).middleware(next -> (ctx, req) -> {
            final Metainfo base = ctx.metainfo();
            // The first attempt is still connecting when the metainfo changes for the second.
            final CompletableFuture<Object> first = next.invoke(ctx, req);
            ctx.setMetainfo(base.withPersistent("RetryReq", "1"));
            final CompletableFuture<Object> second = next.invoke(ctx, req);
            return first.thenCombine(second, (a, b) -> a);
        }).build();
        assertThat(client.stub(InteropService.Iface.class).echoString("x")).isEqualTo("x");
        assertThat(s.requests).hasSize(2);
        assertThat(s.requests).extracting(r -> r.header().string("RPC_PERSIST_RetryReq"))
                .containsExactlyInAnyOrder(null, "1");
    }

    @Test
    void cancellingOneOfConcurrentAttemptsAbortsItAndReleasesItsConnection() throws Exception {
        final AtomicInteger served = new AtomicInteger();
        final ScriptedServer s = server((ctx, req) -> {
            if (served.incrementAndGet() > 1) {
                echo(ctx, req);
            }
        });
        final AtomicReference<CompletableFuture<Object>> stalled = new AtomicReference<>();
        client = builder(s).maxIdlePerAddress(0).middleware(next -> (ctx, req) -> {
            final CompletableFuture<Object> first = next.invoke(ctx, req);
            stalled.set(first);
            // A backup copy while the first is outstanding.
            await().until(() -> s.requests.size() == 1);
            final CompletableFuture<Object> backup = next.invoke(ctx, req);
            assertThat(ctx.attempt()).isEqualTo(2);
            return backup.whenComplete((v, e) -> first.cancel(false));
        }).build();
        final CompletableFuture<String> call = client.async(InteropService.Iface.class).call(i -> i.echoString("x"));
        assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("x");
        assertThat(stalled.get()).isCancelled();
        // The stalled attempt's connection is closed (a reply may still come on it), the other one was
        // closed after its call (no idle connections kept).
        await().atMost(Duration.ofSeconds(5)).until(() -> s.openConnections() == 0);
        assertThat(s.connections.get()).isEqualTo(2);
    }

    @Test
    void cancellingTheChainCancelsEveryOutstandingAttempt() throws Exception {
        final ScriptedServer s = server((ctx, req) -> { });
        final List<CompletableFuture<Object>> attempts = new CopyOnWriteArrayList<>();
        client = builder(s).middleware(next -> (ctx, req) -> {
            attempts.add(next.invoke(ctx, req));
            attempts.add(next.invoke(ctx, req));
            return new CompletableFuture<>();
        }).build();
        final CompletableFuture<String> call = client.async(InteropService.Iface.class).call(i -> i.echoString("x"));
        await().until(() -> s.requests.size() == 2);
        assertThat(s.openConnections()).isEqualTo(2);
        call.cancel(false);
        assertThatThrownBy(call::join).isInstanceOf(CancellationException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> attempts.stream().allMatch(CompletableFuture::isCancelled));
        await().atMost(Duration.ofSeconds(5)).until(() -> s.openConnections() == 0);
    }

    @Test
    void aFurtherAttemptAvoidsTheInstancesEarlierAttemptsUsedUnlessSameInstance() throws Exception {
        final ScriptedServer a = server((ctx, req) -> ScriptedServer.exception(ctx, req,
                TApplicationException.INTERNAL_ERROR, "a"));
        final ScriptedServer b = server((ctx, req) -> ScriptedServer.exception(ctx, req,
                TApplicationException.INTERNAL_ERROR, "b"));
        final List<String> remotes = new CopyOnWriteArrayList<>();
        client = builder(a, b).middleware(next -> (ctx, req) -> next.invoke(ctx, req)
                .exceptionallyCompose(e -> {
                    remotes.add(String.valueOf(ctx.remoteAddress()));
                    return next.invoke(ctx, req);
                })
                .exceptionallyCompose(e -> {
                    remotes.add(String.valueOf(ctx.remoteAddress()));
                    // Both were used: the third goes to one of them anyway.
                    return next.invoke(ctx, req);
                })
                .exceptionallyCompose(e -> {
                    remotes.add(String.valueOf(ctx.remoteAddress()));
                    ctx.setAttribute(CallContext.SAME_INSTANCE, true);
                    return next.invoke(ctx, req);
                })
                .whenComplete((v, e) -> remotes.add(String.valueOf(ctx.remoteAddress())))).build();
        for (int i = 0; i < 4; i++) {
            remotes.clear();
            assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"));
            assertThat(remotes).hasSize(4);
            assertThat(remotes.get(1)).isNotEqualTo(remotes.get(0));
            // SAME_INSTANCE: the fourth goes where the third went.
            assertThat(remotes.get(3)).isEqualTo(remotes.get(2));
        }
        assertThat(a.requests.size() + b.requests.size()).isEqualTo(16);
    }

    @Test
    void theTimeoutProviderWinsOverTheBuilderAndLosesToCallOptions() throws Exception {
        final ScriptedServer s = server((ctx, req) -> { });
        final List<String> asked = new CopyOnWriteArrayList<>();
        client = builder(s).rpcTimeout(Duration.ofSeconds(30)).timeoutProvider(ctx -> {
            asked.add(ctx.method() + "/" + ctx.calleeService() + "/" + ctx.rpcTimeout());
            return new Timeouts(Duration.ofMillis(150), Duration.ofMillis(700));
        }).build();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOf(RpcTimeoutException.class).hasMessageContaining("timeout=150ms");
        assertThat(asked).containsExactly("echoString/interop/null");
        TTHeader header = s.last().header();
        assertThat(header.intValue(MetaKeys.RPC_TIMEOUT)).isEqualTo("150");
        assertThat(header.intValue(MetaKeys.CONNECT_TIMEOUT)).isEqualTo("700");

        final CallOptions options = CallOptions.builder().rpcTimeout(Duration.ofMillis(250)).build();
        assertThatThrownBy(() -> client.call("InteropService", "echoString", new InteropService.echoString_args("y"),
                InteropService.echoString_result::new, options).join())
                .hasCauseInstanceOf(RpcTimeoutException.class).hasMessageContaining("timeout=250ms");
        header = s.last().header();
        assertThat(header.intValue(MetaKeys.RPC_TIMEOUT)).isEqualTo("250");
        assertThat(header.intValue(MetaKeys.CONNECT_TIMEOUT)).isEqualTo("700");
    }

    @Test
    void aProviderReturningNullKeepsTheClientsTimeoutsAndOneThatThrowsFailsTheCall() throws Exception {
        final ScriptedServer s = server((ctx, req) -> { });
        client = builder(s).rpcTimeout(Duration.ofMillis(120)).timeoutProvider(ctx -> null).build();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOf(RpcTimeoutException.class).hasMessageContaining("timeout=120ms");
        assertThat(s.last().header().intValue(MetaKeys.CONNECT_TIMEOUT)).isNull();
        client.close();

        client = builder(s).timeoutProvider(ctx -> {
            throw new IllegalStateException("no config for " + ctx.method());
        }).build();
        final int before = s.requests.size();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOf(IllegalStateException.class).hasMessage("no config for echoString");
        assertThat(s.requests).hasSize(before);
    }

    @Test
    void aVariantKeepsTheTimeoutProvider() throws Exception {
        final ScriptedServer s = server((ctx, req) -> { });
        client = builder(s).timeoutProvider(ctx -> new Timeouts(Duration.ofMillis(90), null)).build();
        try (KitexClient variant = client.newBuilder().build()) {
            assertThatThrownBy(() -> variant.stub(InteropService.Iface.class).echoString("x"))
                    .isInstanceOf(RpcTimeoutException.class).hasMessageContaining("timeout=90ms");
        }
    }
}
