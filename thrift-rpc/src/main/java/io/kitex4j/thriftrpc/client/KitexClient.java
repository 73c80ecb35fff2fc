package io.kitex4j.thriftrpc.client;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.ClientClosedException;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.Middleware;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.transport.TTransportException;

/**
 * A client of one Kitex service, speaking Kitex's Thrift transports byte for byte. Calls go
 * through proxies of Apache Thrift generated {@code Iface} interfaces, blocking or asynchronous.
 *
 * <pre>{@code
 * KitexClient client = KitexClient.builder()
 *         .service("echo")                       // the Kitex service name
 *         .resolver(resolver)                    // or .addresses("10.0.0.5:8888", ...)
 *         .rpcTimeout(Duration.ofSeconds(1))
 *         .build();
 *
 * EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
 * Response r = echo.Echo(new Request("hi"));                          // blocking
 *
 * CompletableFuture<Response> f = client.async(EchoServer.Iface.class)
 *         .call(e -> e.Echo(new Request("hi")));                       // asynchronous
 * }</pre>
 *
 * <h2>Sharing</h2>
 * Build one client per service and share it: it is immutable and thread-safe, and it holds
 * connection pools and a discovery watch, on the I/O threads of a
 * {@link io.kitex4j.thriftrpc.KitexResources} ({@link io.kitex4j.thriftrpc.KitexResources#shared()} by
 * default). {@link #newBuilder()} makes a variant with other settings (another timeout, transport,
 * more middleware or even service) that <em>shares</em> the pools and, for the same service, the
 * watch; variants are cheap. The client and its variants own those jointly: {@link #close()} on any
 * of them stops only that one, and the last one closed releases them.
 *
 * <h2>Wire behaviour (as a Kitex Go client)</h2>
 * <ul>
 *   <li><b>Transport</b>: {@link Transport#FRAMED} by default, as Kitex since v0.13; any of the
 *       four can be set. Replies are accepted in any of the four.
 *   <li><b>TTHeader meta</b> (TTHeader transports only): int keys 1 (transport type), 3 (from
 *       service), 6 (to service), 9 (method), 20 (from method: the method of the kitex4j server
 *       call being handled on this thread, else {@code ""}), 22 (message type), 12 (RPC timeout
 *       in ms, when one is set) and 17 (connect timeout in ms, when set explicitly), string
 *       {@code isn} (the IDL service name: the class that nests the {@code Iface}), and the
 *       metainfo ({@link Metainfo#current()} or {@link CallOptions#metainfo()}). Over Buffered and
 *       Framed there is no header: metainfo, business errors and backward values are lost, as with
 *       Kitex.
 *   <li><b>Errors</b>: one family, {@link io.kitex4j.core.RpcException}, each saying whether the
 *       request may have reached the server (the table is in thrift-rpc's README):
 *       {@link io.kitex4j.core.NoInstanceException}, {@link io.kitex4j.core.ConnectFailedException},
 *       {@link ClientClosedException}, {@link io.kitex4j.core.RpcTimeoutException} (Kitex's text
 *       {@code rpc timeout: timeout=...}), {@link io.kitex4j.core.ConnectionLostException},
 *       {@link io.kitex4j.core.RemoteApplicationException} (an EXCEPTION reply, a reply whose
 *       method name or sequence id does not match, or one that cannot be decoded; the
 *       {@code TApplicationException} or decoding error is its cause) and
 *       {@link io.kitex4j.core.BizStatusException} ({@code biz-status} != 0). A declared IDL
 *       exception is thrown as itself.
 *   <li><b>Dead instances</b> (not in Kitex, whose Go client keeps sending first attempts to a
 *       killed server until its etcd key expires): an instance whose address refused a connection
 *       is left out of the picker of every client of the process for a backoff period, then one
 *       call probes it; it is back at the first successful connect or when etcd changes or
 *       re-adds it. See {@link KitexClientBuilder#avoidRefusedInstances(boolean)}.
 *   <li><b>Oneway</b> methods send message type 4, wait only for the write, and close the
 *       connection afterwards, as Kitex does.
 *   <li><b>Connections</b>: long connections, one request at a time each; per address at most
 *       {@code maxIdlePerAddress} (10) idle, {@code maxIdleGlobal} (100) idle in all, closed after
 *       {@code maxIdleTimeout} (1 minute) idle. A connection is discarded after an error, an
 *       EXCEPTION reply, a oneway call or a reply carrying {@code crrst}. Optionally
 *       {@linkplain KitexClientBuilder#multiplexed(int) multiplexed}.
 *   <li><b>Middleware</b>: {@link KitexClientBuilder#middleware}, around every call, in the order
 *       of registration (the first is outermost).
 *   <li><b>Retries</b>: when the server cannot have processed the request, the call is retried
 *       on another instance if there is one, up to {@code maxAttempts} (3) attempts within the
 *       RPC timeout: the connection could not be opened or written to; it was reset before any
 *       reply byte came (a socket closed with unread data is reset, so the server never read the
 *       request); or a connection reused from the pool was found closed before any reply byte
 *       came (the server closed it while idle). Nothing else is retried: not timeouts, not
 *       errors in replies, not a fresh connection closed without a reply (the server may have
 *       read the request).
 * </ul>
 *
 * <h2>Threads</h2>
 * Futures complete on the client's I/O threads: callbacks chained with {@code thenApply} and the
 * like run there and must not block; use the {@code ...Async} variants to move off them. A
 * blocking stub called on one of those threads throws {@link IllegalStateException} rather than
 * deadlock.
 */
public final class KitexClient implements AutoCloseable {

    private final ClientConfig config;
    private final ClientRuntime runtime;
    // null without middleware: calls then go straight to RpcCall, with no extra object or future.
    private final Endpoint chain;
    private final AtomicBoolean closed = new AtomicBoolean();

    KitexClient(ClientConfig config, ClientResources resources) {
        this.config = config;
        this.runtime = ClientRuntime.of(config, resources);
        this.chain = config.middlewares().isEmpty() ? null : Middleware.chain(config.middlewares(), RpcCall.TERMINAL);
    }

    /** A builder of a client; by default it runs on {@link io.kitex4j.thriftrpc.KitexResources#shared()}. */
    public static KitexClientBuilder builder() {
        return new KitexClientBuilder();
    }

    /**
     * A builder holding this client's settings (middleware included) whose client shares this one's
     * resources: event loops, connection pools (when the pool settings are unchanged) and discovery
     * watch (when the service, resolver and load balancer are unchanged). Closing either client does
     * not affect the other; what they share is released when the last of them is closed.
     */
    public KitexClientBuilder newBuilder() {
        return new KitexClientBuilder(config, runtime.resources());
    }

    // ------------------------------------------------------------------ stubs

    /**
     * A blocking proxy of a generated {@code Iface}, for example {@code EchoServer.Iface.class}.
     * Each method call is one RPC; see the class description for what it throws. Stubs are cheap
     * and thread-safe.
     *
     * @throws IllegalArgumentException if {@code iface} is not a generated {@code <Service>.Iface}
     */
    public <I> I stub(Class<I> iface) {
        return stub(iface, CallOptions.DEFAULT);
    }

    /**
     * A blocking proxy whose calls use {@code options}.
     *
     * @throws IllegalArgumentException if {@code iface} is not a generated {@code <Service>.Iface}
     */
    public <I> I stub(Class<I> iface, CallOptions options) {
        requireNonNull(iface, "iface");
        requireNonNull(options, "options");
        final ServiceDescriptor descriptor = ServiceDescriptor.of(iface);
        return iface.cast(Proxy.newProxyInstance(iface.getClassLoader(), new Class<?>[] {iface},
                new BlockingStubHandler(this, descriptor, options)));
    }

    /**
     * An asynchronous view of a generated {@code Iface}:
     * {@code client.async(EchoServer.Iface.class).call(e -> e.Echo(req))} returns a
     * {@code CompletableFuture<Response>}. See {@link AsyncStub}.
     *
     * @throws IllegalArgumentException if {@code iface} is not a generated {@code <Service>.Iface}
     */
    public <I> AsyncStub<I> async(Class<I> iface) {
        return async(iface, CallOptions.DEFAULT);
    }

    /**
     * An asynchronous view whose calls use {@code options}.
     *
     * @throws IllegalArgumentException if {@code iface} is not a generated {@code <Service>.Iface}
     */
    public <I> AsyncStub<I> async(Class<I> iface, CallOptions options) {
        requireNonNull(iface, "iface");
        requireNonNull(options, "options");
        return new AsyncStub<>(this, ServiceDescriptor.of(iface), options);
    }

    // ------------------------------------------------------------------ generic calls

    /**
     * Calls a method by name with a hand-made {@code _args} struct, for code without a generated
     * {@code Iface}. The future completes with the decoded result struct as is (its success or
     * declared-exception field set), or fails as described in the class description.
     *
     * @param idlService the IDL service name sent as {@code isn}; {@code ""} sends none
     * @param method the method name on the wire
     * @param args the arguments struct
     * @param resultFactory makes the empty result struct to decode the reply into
     */
    public <R extends TBase<?, ?>> CompletableFuture<R> call(String idlService, String method, TBase<?, ?> args,
                                                            Supplier<R> resultFactory, CallOptions options) {
        requireNonNull(idlService, "idlService");
        requireNonNull(method, "method");
        requireNonNull(args, "args");
        requireNonNull(resultFactory, "resultFactory");
        requireNonNull(options, "options");
        final CallTarget target = new RawTarget(method, idlService, resultFactory);
        @SuppressWarnings("unchecked")
        final CompletableFuture<R> f = (CompletableFuture<R>) (CompletableFuture<?>) start(target, args, options);
        return f;
    }

    /**
     * Sends a oneway call by name with a hand-made {@code _args} struct. The future completes when
     * the request is written.
     */
    public CompletableFuture<Void> oneway(String idlService, String method, TBase<?, ?> args, CallOptions options) {
        requireNonNull(idlService, "idlService");
        requireNonNull(method, "method");
        requireNonNull(args, "args");
        requireNonNull(options, "options");
        final CallTarget target = new RawTarget(method, idlService, null);
        @SuppressWarnings("unchecked")
        final CompletableFuture<Void> f = (CompletableFuture<Void>) (CompletableFuture<?>) start(target, args, options);
        return f;
    }

    /**
     * A call by name with a hand-made {@code _args} struct: the raw result struct is the value, and
     * no result factory means oneway.
     */
    private record RawTarget(String name, String idlService, Supplier<? extends TBase<?, ?>> resultFactory)
            implements CallTarget {

        @Override
        public boolean oneway() {
            return resultFactory == null;
        }

        @Override
        public TBase<?, ?> newResult() {
            if (resultFactory == null) {
                throw new UnsupportedOperationException("a oneway call has no result");
            }
            return requireNonNull(resultFactory.get(), "resultFactory returned null");
        }

        @Override
        public Object unwrap(TBase<?, ?> result) {
            if (resultFactory == null) {
                throw new UnsupportedOperationException("a oneway call has no result");
            }
            return result;
        }
    }

    /** A future of nothing that follows {@code f}, and cancels it when cancelled. */
    static CompletableFuture<Void> discardValue(CompletableFuture<Object> f) {
        final CompletableFuture<Void> v = f.thenApply(x -> null);
        v.whenComplete((x, e) -> {
            if (v.isCancelled()) {
                f.cancel(false);
            }
        });
        return v;
    }

    // ------------------------------------------------------------------ plumbing

    /** Starts a call; never throws (a failure before the start completes the future). */
    CompletableFuture<Object> start(CallTarget target, TBase<?, ?> args, CallOptions options) {
        if (closed.get() || runtime.resources().isClosed()) {
            return CompletableFuture.failedFuture(new ClientClosedException("client is closed"));
        }
        final RpcCall call = new RpcCall(runtime, target, args, options);
        if (chain == null) {
            call.start();
            return call.future;
        }
        return call.startChain(chain);
    }

    /** Runs a call and waits for it, as the blocking stub does. */
    Object invokeBlocking(CallTarget target, TBase<?, ?> args, CallOptions options) throws TException {
        if (runtime.resources().inEventLoop()) {
            throw new IllegalStateException("a blocking call on a kitex4j client I/O thread would deadlock; "
                    + "use async() or a ...Async callback");
        }
        final CompletableFuture<Object> f = start(target, args, options);
        try {
            return f instanceof RpcCall.CallFuture call ? call.await() : f.get();
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new TTransportException(TTransportException.UNKNOWN, "interrupted while calling " + target.name(), e);
        }
    }

    private static TException rethrow(Throwable cause) throws TException {
        if (cause instanceof TException te) {
            throw te;
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        throw new TTransportException(TTransportException.UNKNOWN, cause.toString(), cause);
    }

    ClientResources resources() {
        return runtime.resources();
    }

    Endpoints endpoints() {
        return runtime.endpoints();
    }

    ConnectionProvider connections() {
        return runtime.connections();
    }

    /** How this client avoids instances that refuse connections; {@code null} if it does not. */
    RefusedInstancePolicy refusedInstances() {
        return runtime.refusedInstances();
    }

    /**
     * The counters of the process-wide avoidance of instances that refuse connections, for all
     * clients together (see {@link KitexClientBuilder#avoidRefusedInstances(boolean)}).
     */
    public static RefusedInstanceStats refusedInstanceStats() {
        return RefusedAddresses.shared().stats();
    }

    /**
     * A live view of the counters of the connection pool this client calls through (shared with the
     * {@link #newBuilder()} variants that have the same pool settings): open and idle connections, and
     * how many acquisitions took how long. Reading it takes no lock.
     */
    public ConnectionPoolStats connectionPoolStats() {
        return runtime.connections();
    }

    // ------------------------------------------------------------------ settings

    /** The Kitex service name called (TTHeader key 6, and the name discovery looks up). */
    public String service() {
        return config.service();
    }

    /** The caller's service name sent as TTHeader key 3; {@code ""} if not set. */
    public String fromService() {
        return config.fromService();
    }

    /** The transport requests are sent with. */
    public Transport transport() {
        return runtime.transport();
    }

    /** The RPC timeout of each call, or {@code null} for none (the default, as in Kitex). */
    public Duration rpcTimeout() {
        return runtime.rpcTimeout();
    }

    /** The connect timeout (default 50 ms, as in Kitex). */
    public Duration connectTimeout() {
        return config.effectiveConnectTimeout();
    }

    /** Whether calls avoid instances that refused a connection (default true). */
    public boolean avoidsRefusedInstances() {
        return config.avoidRefusedInstances();
    }

    /** The most tries an attempt makes when connections fail (default 3). */
    public int maxAttempts() {
        return config.maxAttempts();
    }

    /** The middleware of this client, outermost first; unmodifiable. */
    public List<Middleware> middlewares() {
        return config.middlewares();
    }

    /**
     * Closes this client: later calls fail with {@link ClientClosedException}. What it shares with
     * the clients made from it or from the same parent by {@link #newBuilder()} (connection pools,
     * discovery watches, and resources made for {@code ioThreads}) is closed with the last of them;
     * until then they keep working. A {@link io.kitex4j.thriftrpc.KitexResources} given with
     * {@link KitexClientBuilder#resources} is never closed by a client. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            runtime.resources().release();
        }
    }

    @Override
    public String toString() {
        return "KitexClient{service=" + config.service() + ", transport=" + runtime.transport() + ", endpoints="
                + config.describeTarget() + (runtime.rpcTimeout() != null ? ", rpcTimeout=" + runtime.rpcTimeout() : "")
                + (config.middlewares().isEmpty() ? "" : ", middlewares=" + config.middlewares().size()) + '}';
    }
}
