package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.client.KitexClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kitex4j client middleware against a Go Kitex server ({@code go/cmd/server}, with
 * {@code transmeta.ServerTTHeaderHandler}): what a middleware adds reaches Go, what Go sends back
 * reaches the middleware, and a middleware's second attempt is a second request Go serves.
 */
class ClientMiddlewareInteropTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static GoServer go;

    @BeforeAll
    static void start() {
        go = GoPeers.server("--etcd", ETCD.endpoints().get(0), "--service", "interop-go-mw", "--name", "go-mw");
    }

    @AfterAll
    static void stop() {
        if (go != null) {
            go.close();
        }
    }

    private static KitexClient client(Transport t, Middleware... middlewares) {
        return KitexClient.builder().service("interop-go-mw").fromService("java-mw-client").addresses(go.address())
                .transport(t).connectTimeout(Duration.ofSeconds(1)).rpcTimeout(Duration.ofSeconds(10))
                .middleware(middlewares).build();
    }

    /** Adds metainfo, as a tracing or auth middleware would. */
    private static final Middleware ADD_METAINFO = next -> (ctx, req) -> {
        ctx.setMetainfo(ctx.metainfo().withTransient("mw-t", "from-middleware")
                .withPersistent("mw-p", "persistent-" + ctx.method()));
        return next.invoke(ctx, req);
    };

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"TTHEADER", "TTHEADER_FRAMED"})
    void metainfoAddedByAMiddlewareReachesTheGoServer(Transport t) throws Exception {
        final List<Map<String, String>> backward = new CopyOnWriteArrayList<>();
        final Middleware seeBackward = next -> (ctx, req) ->
                next.invoke(ctx, req).whenComplete((v, e) -> backward.add(ctx.backwardValues()));
        try (KitexClient client = client(t, ADD_METAINFO, seeBackward);
             Metainfo.Scope ignored = Metainfo.empty().withTransient("caller-t", "1")
                     .withTransient("send-back-bk", "bv").attach()) {
            final CallInfo info = client.stub(InteropService.Iface.class).callInfo();
            assertThat(info.getServerName()).isEqualTo("go-mw");
            assertThat(info.getTransients()).containsEntry("mw-t", "from-middleware").containsEntry("caller-t", "1");
            assertThat(info.getPersistents()).isEqualTo(Map.of("mw-p", "persistent-callInfo"));
            assertThat(info.getCallerService()).isEqualTo("java-mw-client");
            // The Go server's backward value, seen by the middleware after next completed.
            assertThat(backward).singleElement().satisfies(m -> assertThat(m).containsEntry("bk", "bv"));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aRetryingMiddlewareMakesTwoRequestsToGo(Transport t) throws Exception {
        final List<Integer> attempts = new CopyOnWriteArrayList<>();
        final List<Integer> seqIds = new CopyOnWriteArrayList<>();
        final Middleware retryOnce = next -> (ctx, req) -> next.invoke(ctx, req).thenCompose(first -> {
            attempts.add(ctx.attempt());
            seqIds.add(((CallInfo) first).getSeqId());
            return next.invoke(ctx, req).whenComplete((second, e) -> {
                attempts.add(ctx.attempt());
                if (second != null) {
                    seqIds.add(((CallInfo) second).getSeqId());
                }
            });
        });
        try (KitexClient client = client(t, retryOnce)) {
            assertThat(client.stub(InteropService.Iface.class).callInfo().getServerName()).isEqualTo("go-mw");
        }
        assertThat(attempts).containsExactly(1, 2);
        assertThat(seqIds).hasSize(2).doesNotHaveDuplicates();
    }

    /** The user's exception for an unavailable dependency. */
    static final class DependencyFailed extends RuntimeException {
        DependencyFailed(CallContext ctx, Throwable cause) {
            super(ctx.calleeService() + "." + ctx.method() + " failed", cause);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aMiddlewareMapsGosApplicationErrorToAUserException(Transport t) throws Exception {
        final Middleware map = next -> (ctx, req) -> next.invoke(ctx, req).exceptionallyCompose(e -> {
            final Throwable cause = e instanceof CompletionException ? e.getCause() : e;
            return CompletableFuture.failedFuture(cause instanceof RemoteApplicationException r
                    && r.typeId() == TApplicationException.INTERNAL_ERROR ? new DependencyFailed(ctx, r) : cause);
        });
        try (KitexClient client = client(t, map)) {
            assertThatThrownBy(() -> client.stub(InteropService.Iface.class).fail("boom"))
                    .isInstanceOf(DependencyFailed.class)
                    .hasMessage("interop-go-mw.fail failed")
                    .cause().isInstanceOfSatisfying(RemoteApplicationException.class,
                            r -> assertThat(r.getMessage()).isEqualTo("biz error: boom"));
            assertThat(client.stub(InteropService.Iface.class).echoString("after")).isEqualTo("after");
        }
    }
}
