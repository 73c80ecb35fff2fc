package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.server.ServerCallContext;

/**
 * Server middleware of a kitex4j server called by the Go Kitex client, over every transport: what it sees of
 * Kitex-sent metainfo and caller info, what it changes for the handler, and how the Go client sees what it
 * short-circuits and maps.
 */
class ServerMiddlewareInteropTest {

    private static KitexServer java;
    private static final List<String> order = new CopyOnWriteArrayList<>();
    private static final List<Metainfo> seenMetainfo = new CopyOnWriteArrayList<>();
    private static final List<String> seenCaller = new CopyOnWriteArrayList<>();

    /** Records what it sees, sends a backward value and adds a persistent value for the handler. */
    private static final Middleware OBSERVING = next -> (ctx, req) -> {
        order.add("observing");
        seenMetainfo.add(ctx.metainfo());
        seenCaller.add(ctx.callerService() + "." + ctx.callerMethod() + " -> " + ctx.calleeService() + " "
                       + ctx.idlService() + "." + ctx.method() + " over " + ctx.transport()
                       + " timeout " + ctx.rpcTimeout());
        ctx.sendBackward("mw-saw", ctx.metainfo().transients().getOrDefault("t", "-"));
        ctx.setMetainfo(ctx.metainfo().withPersistent("added-by-mw", "yes"));
        return next.invoke(ctx, req);
    };

    /**
     * fail("short"): answered without the handler; fail("to-biz"): the handler's exception mapped to a business
     * status; throwDeclared(0, _, "to-declared"): the handler's value mapped to a declared exception.
     */
    private static final Middleware MAPPING = next -> (ctx, req) -> {
        order.add("mapping");
        if (req instanceof InteropService.fail_args && "short".equals(((InteropService.fail_args) req).getMessage())) {
            return CompletableFuture.failedFuture(new BizStatusException(777, "short-circuited"));
        }
        return next.invoke(ctx, req).handle((v, e) -> {
            if (e instanceof IllegalArgumentException && "to-biz".equals(e.getMessage())) {
                throw new BizStatusException(4001, "mapped by middleware");
            }
            if (e == null && "to-declared".equals(v)) {
                throw new CompletionException(new InvalidArgument(499, "declared by middleware"));
            }
            if (e != null) {
                throw new CompletionException(e);
            }
            return v;
        });
    };

    /** The InteropService methods these tests call, synchronously. */
    static InteropService.Iface interop() {
        return (InteropService.Iface) Proxy.newProxyInstance(InteropService.Iface.class.getClassLoader(),
                new Class<?>[] {InteropService.Iface.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "callInfo": {
                            final ServerCallContext ctx = ServerCallContext.current();
                            final Metainfo m = Metainfo.current();
                            return new CallInfo().setTransients(new HashMap<>(m.transients()))
                                    .setPersistents(new HashMap<>(m.persistents()))
                                    .setCallerService(ctx.callerService()).setCallerMethod(ctx.callerMethod())
                                    .setMethod(ctx.method()).setTransport(ctx.transport().name())
                                    .setServerName("java-mw");
                        }
                        case "throwDeclared":
                            return args[2];
                        case "fail":
                            throw new IllegalArgumentException((String) args[0]);
                        case "ping":
                            return null;
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        case "toString":
                            return "interop";
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    @BeforeAll
    static void start() {
        java = KitexServer.builder().address("127.0.0.1", 0).serviceName("java-mw-service")
                          .service(InteropService.class, interop())
                          .middleware(OBSERVING, MAPPING)
                          .shutdownHook(false).exitWait(Duration.ZERO).build().startBlocking();
    }

    @AfterAll
    static void stop() {
        if (java != null) {
            java.close();
        }
    }

    @BeforeEach
    void reset() {
        order.clear();
        seenMetainfo.clear();
        seenCaller.clear();
    }

    private static GoClientRun go(String transport, String scenario, String... more) {
        final List<String> args = new ArrayList<>(List.of("--addr", "127.0.0.1:" + java.port(), "--service",
                "interop", "--transport", transport, "--scenario", scenario, "--timeout", "4s"));
        args.addAll(List.of(more));
        final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.calls()).as("%s", run).hasSize(1);
        return run;
    }

    private static boolean ttheader(String t) {
        return t.startsWith("ttheader");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed"})
    void middlewareSeesKitexSentMetainfoAndChangesWhatTheHandlerSees(String t) {
        final JsonNode r = go(t, "callInfo", "--transient", "t=1", "--persistent", "p=2").calls().get(0);
        assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
        assertThat(order).containsExactly("observing", "mapping");
        final Metainfo seen = seenMetainfo.get(0);
        final JsonNode info = r.get("result");
        // Added by the middleware: the handler sees it on every transport, it never went over the wire.
        assertThat(info.get("persistents").get("added-by-mw").asText()).isEqualTo("yes");
        if (ttheader(t)) {
            assertThat(seen.transientValue("t")).isEqualTo("1");
            assertThat(seen.persistentValue("p")).isEqualTo("2");
            assertThat(seenCaller).containsExactly("go-interop-client.callInfo -> java-mw-service "
                    + "InteropService.callInfo over TTHEADER_FRAMED timeout PT4S");
            assertThat(info.get("transients").get("t").asText()).isEqualTo("1");
            assertThat(info.get("persistents").get("p").asText()).isEqualTo("2");
            assertThat(r.get("backward").get("mw-saw").asText()).as("%s", r).isEqualTo("1");
        } else {
            assertThat(seen.isEmpty()).isTrue();
            assertThat(seenCaller.get(0)).startsWith(". -> java-mw-service InteropService.callInfo over ")
                                         .endsWith(" timeout null");
            assertThat(r.has("backward")).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed"})
    void shortCircuitAndMappedExceptionsAsTheGoClientSeesThem(String t) {
        final JsonNode shortCircuited = go(t, "fail", "--msg", "short").calls().get(0);
        final JsonNode mappedToBiz = go(t, "fail", "--msg", "to-biz").calls().get(0);
        if (ttheader(t)) {
            assertThat(shortCircuited.get("errorKind").asText()).as("%s", shortCircuited).isEqualTo("biz");
            assertThat(shortCircuited.get("bizCode").asInt()).isEqualTo(777);
            assertThat(mappedToBiz.get("errorKind").asText()).as("%s", mappedToBiz).isEqualTo("biz");
            assertThat(mappedToBiz.get("bizMessage").asText()).isEqualTo("mapped by middleware");
        } else {
            assertThat(shortCircuited.get("ok").asBoolean()).as("%s", shortCircuited).isTrue();
            assertThat(mappedToBiz.get("ok").asBoolean()).as("%s", mappedToBiz).isTrue();
        }
        final JsonNode undeclared = go(t, "fail", "--msg", "boom").calls().get(0);
        assertThat(undeclared.get("typeId").asInt()).as("%s", undeclared).isEqualTo(6);
        assertThat(undeclared.get("error").asText()).contains("biz error: boom");
        final JsonNode declared = go(t, "throwDeclared", "--kind", "0", "--msg", "to-declared").calls().get(0);
        assertThat(declared.get("declared").asText()).as("%s", declared).isEqualTo("InvalidArgument");
        assertThat(declared.get("result").get("code").asInt()).isEqualTo(499);
    }
}
