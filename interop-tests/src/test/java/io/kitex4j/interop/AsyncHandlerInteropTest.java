package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.thrift.async.AsyncMethodCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.server.ServerCallContext;

/**
 * Asynchronous handlers (the generated {@code AsyncIface}) of a kitex4j server called by the Go Kitex client,
 * over every transport. The server has a single handler thread, and every reply is given from another thread
 * after a delay: a handler that held its thread would stall the other calls.
 */
class AsyncHandlerInteropTest {

    /** Echo calls answered before the held one is released. */
    private static final int RELEASE_AFTER = 5;

    private static KitexServer java;
    private static ExecutorService handlerThread;
    private static ScheduledExecutorService completer;
    private static final AsyncEcho echo = new AsyncEcho();

    /**
     * Echo: every reply comes from the completer thread 20 ms later, except the first call of a run, which is
     * held until {@link #RELEASE_AFTER} other calls have been answered.
     */
    static final class AsyncEcho implements EchoServer.AsyncIface {
        final AtomicInteger answered = new AtomicInteger();
        final AtomicReference<AsyncMethodCallback<Response>> held = new AtomicReference<>();
        final AtomicReference<Request> heldRequest = new AtomicReference<>();
        volatile int answeredBeforeRelease = -1;
        volatile boolean holdNext = true;
        final Set<String> peers = ConcurrentHashMap.newKeySet();
        final List<String> startThreads = new CopyOnWriteArrayList<>();

        void reset() {
            answered.set(0);
            held.set(null);
            answeredBeforeRelease = -1;
            holdNext = true;
            peers.clear();
            startThreads.clear();
        }

        @Override
        public void Echo(Request req, AsyncMethodCallback<Response> cb) {
            startThreads.add(Thread.currentThread().getName());
            peers.add(String.valueOf(ServerCallContext.current().remoteAddress()));
            synchronized (this) {
                if (holdNext) {
                    holdNext = false;
                    held.set(cb);
                    heldRequest.set(req);
                    // Released by the count below, or failed after 10 s so that the test fails, not hangs.
                    completer.schedule(() -> {
                        if (held.compareAndSet(cb, null)) {
                            cb.onError(new IllegalStateException("held call never released"));
                        }
                    }, 10, TimeUnit.SECONDS);
                    return;
                }
            }
            completer.schedule(() -> {
                cb.onComplete(new Response(req.getAction(), req.getMsg()));
                if (answered.incrementAndGet() == RELEASE_AFTER) {
                    final AsyncMethodCallback<Response> h = held.getAndSet(null);
                    if (h != null) {
                        answeredBeforeRelease = answered.get();
                        final Request r = heldRequest.get();
                        h.onComplete(new Response(r.getAction(), r.getMsg()));
                    }
                }
            }, 20, TimeUnit.MILLISECONDS);
        }

        @Override
        public void EchoComplex(io.kitex4j.idl.echo.ComplexRequest req,
                                AsyncMethodCallback<io.kitex4j.idl.echo.ComplexResponse> cb) {
            cb.onError(new UnsupportedOperationException("EchoComplex"));
        }
    }

    /**
     * The InteropService methods these tests call, as an {@code AsyncIface}: each answers from the completer
     * thread 20 ms later, with the call's context captured at entry (a thread-local would not follow).
     */
    @SuppressWarnings("unchecked")
    static InteropService.AsyncIface asyncInterop() {
        return (InteropService.AsyncIface) Proxy.newProxyInstance(
                InteropService.AsyncIface.class.getClassLoader(), new Class<?>[] {InteropService.AsyncIface.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        switch (method.getName()) {
                            case "equals":
                                return proxy == args[0];
                            case "hashCode":
                                return System.identityHashCode(proxy);
                            default:
                                return "asyncInterop";
                        }
                    }
                    final AsyncMethodCallback<Object> cb = (AsyncMethodCallback<Object>) args[args.length - 1];
                    final ServerCallContext ctx = ServerCallContext.current();
                    final Metainfo metainfo = ctx.metainfo();
                    completer.schedule(() -> {
                        try {
                            switch (method.getName()) {
                                case "callInfo": {
                                    metainfo.transients().forEach((k, v) -> {
                                        if (k.startsWith("send-back-")) {
                                            ctx.sendBackward(k.substring("send-back-".length()), v);
                                        }
                                    });
                                    cb.onComplete(new CallInfo().setTransients(new HashMap<>(metainfo.transients()))
                                            .setPersistents(new HashMap<>(metainfo.persistents()))
                                            .setCallerService(ctx.callerService()).setCallerMethod(ctx.callerMethod())
                                            .setMethod(ctx.method()).setTransport(ctx.transport().name())
                                            .setTimeoutMillis(ctx.rpcTimeout() == null ? -1 : ctx.rpcTimeout().toMillis())
                                            .setServerName("java-async"));
                                    break;
                                }
                                case "throwDeclared": {
                                    final int kind = (Integer) args[0];
                                    final String message = (String) args[2];
                                    if (kind == 1) {
                                        cb.onError(new InvalidArgument((Integer) args[1], message));
                                    } else if (kind == 2) {
                                        cb.onError(new NotFound(message, message));
                                    } else {
                                        cb.onComplete(message);
                                    }
                                    break;
                                }
                                case "bizError": {
                                    final Map<String, String> extra = (Map<String, String>) args[2];
                                    cb.onError(new BizStatusException((Integer) args[0], (String) args[1],
                                                                      extra == null ? Map.of() : extra));
                                    break;
                                }
                                case "fail":
                                    cb.onError(new IllegalArgumentException((String) args[0]));
                                    break;
                                case "ping":
                                    cb.onComplete(null);
                                    break;
                                default:
                                    cb.onError(new UnsupportedOperationException(method.getName()));
                            }
                        } catch (RuntimeException e) {
                            cb.onError(e);
                        }
                    }, 20, TimeUnit.MILLISECONDS);
                    return null;
                });
    }

    @BeforeAll
    static void start() {
        handlerThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "the-only-handler-thread"));
        completer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "completer"));
        java = KitexServer.builder().address("127.0.0.1", 0)
                          .service(EchoServer.class, echo)
                          .service(InteropService.class, asyncInterop())
                          .executor(handlerThread)
                          .shutdownHook(false).exitWait(Duration.ZERO).build().startBlocking();
    }

    @AfterAll
    static void stop() {
        if (java != null) {
            java.close();
        }
        handlerThread.shutdownNow();
        completer.shutdownNow();
    }

    @BeforeEach
    void reset() {
        echo.reset();
    }

    private static GoClientRun go(String transport, String scenario, String... more) {
        final List<String> args = new ArrayList<>(List.of("--addr", "127.0.0.1:" + java.port(), "--service",
                "interop", "--transport", transport, "--scenario", scenario, "--timeout", "10s"));
        args.addAll(List.of(more));
        final GoClientRun run = GoPeers.client(args.toArray(String[]::new));
        assertThat(run.exitCode()).as("%s", run).isZero();
        return run;
    }

    private static JsonNode single(GoClientRun run) {
        assertThat(run.calls()).as("%s", run).hasSize(1);
        return run.calls().get(0);
    }

    private static boolean ttheader(String t) {
        return t.startsWith("ttheader");
    }

    /**
     * A held call does not hold the only handler thread: other calls are started and answered meanwhile. Over
     * TTHeader the Go client multiplexes every call on one connection ({@code WithMuxConnection(1)}), so the
     * later calls are answered on the held call's connection, out of order, as Kitex's mux server does; a Go
     * client over Buffered or Framed never sends a second request on a busy connection, so its calls use
     * other connections.
     */
    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed"})
    void aHeldCallHoldsNoThreadWhileOtherCallsAreAnswered(String t) {
        final List<String> args = new ArrayList<>(List.of("--count", "12", "--concurrency", "4", "--msg", "async " + t));
        if (ttheader(t)) {
            args.addAll(List.of("--mux", "1"));
        }
        final GoClientRun run = go(t, "echo", args.toArray(String[]::new));
        assertThat(run.summary().get("ok").asInt()).as("%s", run).isEqualTo(12);
        assertThat(run.calls()).allSatisfy(c -> assertThat(c.get("result").get("msg").asText()).isEqualTo("async " + t));
        assertThat(echo.answeredBeforeRelease).as("%s", run).isEqualTo(RELEASE_AFTER);
        assertThat(echo.startThreads).containsOnly("the-only-handler-thread");
        if (ttheader(t)) {
            assertThat(echo.peers).as("one mux connection").hasSize(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed"})
    void declaredExceptionsFromACallback(String t) {
        assertThat(single(go(t, "throwDeclared", "--kind", "0", "--msg", "fine")).get("result").asText())
                .isEqualTo("fine");
        final JsonNode ia = single(go(t, "throwDeclared", "--kind", "1", "--code", "400", "--msg", "bad"));
        assertThat(ia.get("declared").asText()).as("%s", ia).isEqualTo("InvalidArgument");
        assertThat(ia.get("result").get("code").asInt()).isEqualTo(400);
        final JsonNode nf = single(go(t, "throwDeclared", "--kind", "2", "--msg", "key-1"));
        assertThat(nf.get("declared").asText()).as("%s", nf).isEqualTo("NotFound");
        final JsonNode undeclared = single(go(t, "fail", "--msg", "boom"));
        assertThat(undeclared.get("typeId").asInt()).as("%s", undeclared).isEqualTo(6);
        assertThat(undeclared.get("error").asText()).contains("biz error: boom");
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed"})
    void bizStatusErrorFromACallback(String t) {
        final JsonNode r = single(go(t, "bizError", "--code", "10001", "--msg", "quota exceeded", "--extra",
                "retry-after=5"));
        if (ttheader(t)) {
            assertThat(r.get("errorKind").asText()).as("%s", r).isEqualTo("biz");
            assertThat(r.get("bizCode").asInt()).isEqualTo(10001);
            assertThat(r.get("bizMessage").asText()).isEqualTo("quota exceeded");
            assertThat(r.get("bizExtra").get("retry-after").asText()).isEqualTo("5");
        } else {
            // As with Kitex: without TTHeader the status is lost and the caller sees an empty success.
            assertThat(r.get("ok").asBoolean()).as("%s", r).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"buffered", "framed", "ttheader", "ttheader-framed"})
    void metainfoRoundTripThroughTheCapturedContext(String t) {
        final JsonNode r = single(go(t, "callInfo", "--transient", "t=1", "--persistent", "p=2", "--transient",
                "send-back-bk=bv", "--timeout", "3s"));
        final JsonNode info = r.get("result");
        assertThat(info.get("serverName").asText()).isEqualTo("java-async");
        if (ttheader(t)) {
            assertThat(info.get("transients").get("t").asText()).isEqualTo("1");
            assertThat(info.get("persistents").get("p").asText()).isEqualTo("2");
            assertThat(info.get("callerService").asText()).isEqualTo("go-interop-client");
            assertThat(info.get("timeoutMillis").asLong()).isEqualTo(3000);
            // sent backward from the completer thread, after the handler method returned
            assertThat(r.get("backward").get("bk").asText()).as("%s", r).isEqualTo("bv");
        } else {
            assertThat(info.get("transients").size()).isZero();
            assertThat(r.has("backward")).isFalse();
        }
    }
}
