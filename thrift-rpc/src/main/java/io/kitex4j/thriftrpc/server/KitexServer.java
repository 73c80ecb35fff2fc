package io.kitex4j.thriftrpc.server;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.internal.Throwables;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.Registry;
import io.kitex4j.thriftrpc.KitexResources;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;

/**
 * A Thrift server that Kitex (Go) clients can call: it speaks Kitex's four transports (Buffered,
 * Framed, TTHeader, TTHeaderFramed, detected per message and answered in kind) and answers
 * exactly as a Kitex server does, byte for byte, including its errors.
 *
 * <pre>{@code
 * KitexServer server = KitexServer.builder()
 *         .port(8888)
 *         .service(EchoServer.class, new EchoHandler())     // generated class + Iface implementation
 *         .registry(registry, "echo")                       // optional
 *         .build();
 * server.start().join();
 * ...
 * server.close();                                           // graceful
 * }</pre>
 *
 * <h2>Threads</h2>
 * Netty I/O threads (of the server's {@link io.kitex4j.thriftrpc.KitexResources}: by default its own, native
 * epoll when available, NIO otherwise, one per CPU, two per CPU with a {@link KitexServerBuilder#executor(Executor)})
 * read, route and write; handlers run on handler threads: by default the server's handler lanes, which take
 * the requests of an I/O thread in batches and add threads when a handler blocks (see
 * {@link KitexServerBuilder#executor(Executor)}), or the executor given to the builder. They never run on the
 * I/O threads unless the server was built with {@link KitexServerBuilder#directExecutor()}.
 * The calls of one connection run one at a time and are answered in order, as Kitex does; calls
 * of different connections run in parallel. An asynchronous handler ({@code AsyncIface}, or methods returning a
 * {@link java.util.concurrent.CompletionStage}, see {@link KitexServerBuilder#service(Class, Object)}) holds no
 * thread while it is pending; the next request of its connection waits for it, except from a peer that takes
 * replies out of order (TTHeader flag {@code 0x0001}, Kitex's mux clients), whose next requests are served
 * meanwhile, as a Kitex mux server does. The server's own I/O threads are not daemons: a started server
 * keeps the JVM alive until it is stopped.
 *
 * <h2>Middleware</h2>
 * {@link KitexServerBuilder#middleware} wraps every call's handler in {@link io.kitex4j.core.middleware.Middleware}s,
 * the first registered outermost; the {@link io.kitex4j.core.rpc.CallContext} they get is the call's
 * {@link ServerCallContext}.
 *
 * <h2>What the handler sees</h2>
 * {@link ServerCallContext#current()} (also {@link io.kitex4j.core.rpc.CallContext#current()}: caller service
 * and method, RPC timeout and deadline, transport, received metainfo, remote address, backward metainfo) and
 * {@link io.kitex4j.core.Metainfo#current()} (the metainfo a downstream kitex4j call forwards).
 *
 * <h2>Errors (as Kitex v0.16)</h2>
 * <ul>
 *   <li>Unknown method: a TApplicationException of type 20 {@code "unknown service <isn>, method m"}
 *       when no service has it (always so without {@code isn}), or type 1
 *       {@code "unknown method m (service S)"} when {@code isn} names a registered service S; then
 *       the connection is closed.</li>
 *   <li>A handler exception the IDL does not declare: type 6, {@code "biz error: <message>"}; the
 *       connection stays open. A {@link java.lang.Error} is treated like a Go panic:
 *       {@code "panic: [happened in biz handler, method=S.m, please check the panic at the server side] <message>"}.</li>
 *   <li>IDL-declared exceptions are result fields, as in any Thrift server.</li>
 *   <li>{@link io.kitex4j.core.BizStatusException}: a normal reply with an empty result, and
 *       {@code biz-status}/{@code biz-message}/{@code biz-extra} in the TTHeader response. Over
 *       Buffered or Framed the business error is lost and the caller sees success with an empty
 *       result, exactly as with Kitex.</li>
 *   <li>Oneway methods (decided by the IDL, not the message type) never get a reply, not even an
 *       error.</li>
 *   <li>Malformed input, an oversized frame, or a message type other than CALL/ONEWAY: no reply;
 *       the connection is closed after answering the requests read before, with a WARN log naming
 *       the peer and the reason. Other connections are not affected.</li>
 *   <li>Arguments that cannot be decoded: type 7 with the decoder's message, then close.</li>
 *   <li>Arguments nested deeper than {@link KitexServerBuilder#maxNestingDepth(int)} (64): type 7, then
 *       close, on every transport.</li>
 * </ul>
 *
 * <h2>Logging</h2>
 * Values from the wire are escaped and truncated before they are logged; each refused request or
 * connection is one line, rate limited per {@link RejectionKind} (stack traces only on a period's first
 * line), and counted in {@link #rejections()}.
 *
 * <h2>Limits</h2>
 * A frame must arrive whole within the {@linkplain KitexServerBuilder#readTimeout read timeout} of its
 * first bytes (5 s, as Kitex); a connection with no activity closes after the
 * {@linkplain KitexServerBuilder#idleTimeout idle timeout} (10 minutes, as Kitex); connections over
 * {@linkplain KitexServerBuilder#maxConnections the total} or
 * {@linkplain KitexServerBuilder#maxConnectionsPerIp the per-IP limit} are closed at accept; a connection
 * with {@linkplain KitexServerBuilder#maxInFlightRequestsPerConnection too many requests in flight} is
 * not read until one is answered. Each is logged, rate-limited, when it bites.
 *
 * <h2>Stopping</h2>
 * {@link #stop()}: (1) TTHeader responses start to carry {@code crrst=1} (with
 * {@link KitexServerBuilder#ttheaderServerMeta(boolean)}), so Kitex clients with
 * {@code ClientTTHeaderHandler} drop their connections; (2) with a registry, the instance is
 * deregistered, then the server keeps serving for the {@linkplain KitexServerBuilder#exitWait exit
 * wait} while clients refresh their lists; (3) the listener closes; (4) every connection answers
 * the requests it has read and closes, within the {@linkplain KitexServerBuilder#drainTimeout
 * drain timeout}, after which the rest are closed (pending asynchronous calls count as requests read); (5) the
 * event loops the server created and the default executor shut down. A JVM shutdown hook does this on exit (on by default).
 *
 * <p>Thread-safe. A server starts once; after it stopped (or failed to start) it cannot be
 * restarted: build a new one.
 */
public final class KitexServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(KitexServer.class);

    /** The default of {@link KitexServerBuilder#maxHandlerThreads(int)}: the most threads of the handler lanes. */
    public static final int DEFAULT_MAX_HANDLER_THREADS = 200;

    /** Returns a new builder. */
    public static KitexServerBuilder builder() {
        return new KitexServerBuilder();
    }

    private final ServerConfig config;
    private final ServiceRouter router;
    private final ServerRejections rejections;
    private final ServerLimits limits;

    private final CompletableFuture<KitexServer> startFuture = new CompletableFuture<>();
    private final CompletableFuture<Void> stopFuture = new CompletableFuture<>();

    // Guarded by this.
    private ServerState state = ServerState.CREATED;
    private KitexResources resources;
    private boolean ownsResources;
    private Channel serverChannel;
    private Executor executor;
    private boolean ownsExecutor;
    private HandlerLanes lanes;
    private CallDispatcher dispatcher;
    private Registration registration;
    private Thread hook;

    private volatile InetSocketAddress localAddress;

    KitexServer(ServerConfig config) {
        this.config = config;
        router = config.router();
        rejections = new ServerRejections(config.rejectionLogPeriodNanos(), config.rejectionLogBurst());
        limits = new ServerLimits(config.maxConnections(), config.maxConnectionsPerIp(),
                                  config.readTimeout().toNanos(), config.maxInFlightRequestsPerConnection(),
                                  config.maxQps(), rejections);
    }

    /**
     * Starts the server: binds the port, then registers it if a registry was configured. The future
     * completes with this server once it serves (and is registered), or fails if binding or (with
     * {@link KitexServerBuilder#requireRegistration(boolean)}) registering fails, in which case the
     * server is {@link ServerState#STOPPED}. With an etcd registry, an unreachable etcd is retried until
     * the registry's start-up timeout ({@code EtcdRegistry.Builder.startupTimeout}, 30 s by default), so
     * the future may take that long to fail; a TLS, authentication or permission error fails it at once.
     * Calling it again returns the same future.
     */
    public CompletableFuture<KitexServer> start() {
        synchronized (this) {
            if (state != ServerState.CREATED) {
                return startFuture;
            }
            state = ServerState.STARTING;
        }
        notifyListeners("serverStarting", l -> l.serverStarting(this));
        try {
            final ServerBootstrap bootstrap = new ServerBootstrap();
            final KitexResources io;
            synchronized (this) {
                if (config.resources() != null) {
                    resources = config.resources();
                    ownsResources = false;
                } else {
                    // Non-daemon threads: a started server keeps the JVM alive until it is stopped.
                    resources = KitexResources.builder().ioThreads(config.effectiveIoThreads())
                                              .preferNativeTransport(config.preferNativeTransport())
                                              .daemon(false).threadNamePrefix("kitex4j-server-io").build();
                    ownsResources = true;
                }
                io = resources;
                if (config.executor() != null) {
                    executor = config.executor();
                    ownsExecutor = config.shutdownExecutorOnStop();
                } else {
                    lanes = new HandlerLanes(config.maxHandlerThreads(), config.handlerStallThreshold().toNanos(),
                                             "kitex4j-handler");
                }
                dispatcher = new CallDispatcher(config, executor, lanes, rejections);
            }
            final CallDispatcher d = dispatcher;
            final int maxFrameBytes = config.maxFrameBytes();
            final int maxNestingDepth = config.maxNestingDepth();
            final long idleTimeoutNanos = config.idleTimeout().toNanos();
            bootstrap.group(io.ioGroup())
                     .channel(io.serverSocketChannelClass())
                     .option(ChannelOption.SO_REUSEADDR, true)
                     .childOption(ChannelOption.TCP_NODELAY, true)
                     .childOption(ChannelOption.SO_KEEPALIVE, true)
                     .childHandler(new ChannelInitializer<SocketChannel>() {
                         @Override
                         protected void initChannel(SocketChannel ch) {
                             // Idle connections are closed by the connection handler itself: Netty's
                             // IdleStateHandler would add a promise and a listener to every response.
                             final KitexFrameDecoder decoder = new KitexFrameDecoder(maxFrameBytes, maxNestingDepth);
                             ch.pipeline().addLast("kitexDecoder", decoder)
                                          .addLast("kitexEncoder", KitexFrameEncoder.INSTANCE)
                                          .addLast("kitexServer", new ServerConnectionHandler(
                                                  d, idleTimeoutNanos, limits, decoder));
                         }
                     });
            bootstrap.bind(config.address()).addListener((ChannelFuture f) -> onBound(f, io.isNativeTransport()));
        } catch (Throwable t) {
            failStart(t);
        }
        return startFuture;
    }

    /**
     * {@link #start()}, waiting for it.
     *
     * @throws IllegalStateException wrapping the cause if the server could not start
     */
    public KitexServer startBlocking() {
        try {
            return start().join();
        } catch (CompletionException e) {
            final Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IllegalStateException("cannot start " + this, cause);
        }
    }

    private void onBound(ChannelFuture f, boolean epoll) {
        if (!f.isSuccess()) {
            failStart(f.cause());
            return;
        }
        synchronized (this) {
            serverChannel = f.channel();
        }
        localAddress = (InetSocketAddress) f.channel().localAddress();
        logger.info("Serving {} on {} ({})", router.services().keySet(), localAddress, epoll ? "epoll" : "nio");
        final Registry registry = config.registry();
        if (registry == null) {
            started();
            return;
        }
        final RegistrationInfo info;
        try {
            final RegistrationInfo.Builder rb = RegistrationInfo.builder()
                                                                .service(config.registryServiceName())
                                                                .weight(config.weight())
                                                                .tags(config.tags());
            if (config.registryAddress() != null) {
                rb.address(config.registryAddress());
            } else {
                rb.address(localAddress);
            }
            info = rb.build();
        } catch (RuntimeException e) {
            failStart(e);
            return;
        }
        final CompletableFuture<Registration> registered;
        try {
            registered = registry.register(info);
        } catch (RuntimeException e) {
            failStart(e);
            return;
        }
        registered.whenComplete((reg, err) -> {
            if (err == null) {
                synchronized (this) {
                    registration = reg;
                }
                logger.info("Registered {} as {}", localAddress, reg.key());
                started();
                return;
            }
            final Throwable cause = Throwables.unwrap(err);
            if (cause instanceof RegistrationException) {
                synchronized (this) {
                    // Still retrying in the background: keep the handle to deregister it.
                    registration = ((RegistrationException) cause).registration();
                }
            }
            if (config.requireRegistration()) {
                failStart(cause);
            } else {
                logger.warn("Registration of {} failed; serving anyway: {}", info, cause.toString());
                started();
            }
        });
    }

    private void started() {
        synchronized (this) {
            if (state != ServerState.STARTING) {
                return;
            }
            state = ServerState.STARTED;
            if (config.shutdownHook()) {
                hook = new Thread(() -> {
                    logger.info("JVM shutdown: stopping {}", this);
                    stop().join();
                }, "kitex4j-server-shutdown-hook");
                try {
                    Runtime.getRuntime().addShutdownHook(hook);
                } catch (IllegalStateException e) {
                    hook = null;   // the JVM is already shutting down
                }
            }
        }
        notifyListeners("serverStarted", l -> l.serverStarted(this));
        startFuture.complete(this);
    }

    private void failStart(Throwable cause) {
        final Registration reg;
        synchronized (this) {
            if (state == ServerState.STOPPED) {
                return;
            }
            state = ServerState.STOPPED;
            reg = registration;
            registration = null;
        }
        logger.warn("Failed to start {}: {}", this, cause.toString());
        // Not on the calling thread: it may be an event loop of the groups being shut down.
        final Thread t = new Thread(() -> {
            try {
                if (reg != null) {
                    reg.deregister();
                }
                releaseResources();
            } finally {
                notifyListeners("serverStopped", l -> l.serverStopped(this));
                startFuture.completeExceptionally(cause);
                stopFuture.complete(null);
            }
        }, "kitex4j-server-stop");
        t.start();
    }

    /**
     * Stops the server gracefully (see the class documentation for the steps). Returns a future that
     * completes when it has stopped; calling it again returns the same future. Stopping a server
     * that is starting waits for the start to end.
     */
    public CompletableFuture<Void> stop() {
        synchronized (this) {
            switch (state) {
                case CREATED:
                    state = ServerState.STOPPED;
                    startFuture.completeExceptionally(new IllegalStateException("stopped before it was started"));
                    stopFuture.complete(null);
                    return stopFuture;
                case STARTING:
                    return startFuture.handle((s, e) -> null).thenCompose(ignored -> stop());
                case STARTED:
                    state = ServerState.STOPPING;
                    break;
                default:
                    return stopFuture;
            }
        }
        final Thread t = new Thread(this::doStop, "kitex4j-server-stop");
        t.start();
        return stopFuture;
    }

    /** {@link #stop()} and wait for it. */
    @Override
    public void close() {
        stop().join();
    }

    private void doStop() {
        try {
            notifyListeners("serverStopping", l -> l.serverStopping(this));
            final CallDispatcher d;
            final Registration reg;
            final Channel listener;
            synchronized (this) {
                d = dispatcher;
                reg = registration;
                listener = serverChannel;
            }
            d.startConnectionReset();
            if (reg != null) {
                deregister(reg);
                final Duration exitWait = config.exitWait();
                if (!exitWait.isZero()) {
                    logger.info("Deregistered; serving {} more for clients to refresh", exitWait);
                    sleep(exitWait);
                }
            }
            if (listener != null) {
                listener.close().awaitUninterruptibly();
            }
            final CompletableFuture<Void> drained = d.drain();
            final Duration drainTimeout = config.drainTimeout();
            try {
                drained.get(drainTimeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                logger.warn("{} connection(s) still busy after {}; closing them", d.connectionCount(), drainTimeout);
                d.closeAll();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                d.closeAll();
            } catch (ExecutionException e) {
                d.closeAll();
            }
            releaseResources();
            synchronized (this) {
                if (hook != null && Thread.currentThread() != hook) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException e) {
                        // The JVM is shutting down; the hook is running or about to and will find us stopped.
                    }
                }
                hook = null;
                state = ServerState.STOPPED;
            }
            logger.info("Stopped {}", this);
        } catch (Throwable t) {
            logger.error("Error while stopping {}", this, t);
            synchronized (this) {
                state = ServerState.STOPPED;
            }
        } finally {
            notifyListeners("serverStopped", l -> l.serverStopped(this));
            stopFuture.complete(null);
        }
    }

    private void deregister(Registration reg) {
        try {
            reg.deregister().get(config.deregisterTimeout().toNanos(), TimeUnit.NANOSECONDS);
            logger.info("Deregistered {}", reg.key());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // The lease is no longer kept alive, so the instance disappears when it expires anyway.
            logger.warn("Deregistration of {} failed: {}", reg.key(), Throwables.unwrap(e).toString());
        }
    }

    private void releaseResources() {
        final KitexResources io;
        final boolean ownsIo;
        final Channel listener;
        final Executor exec;
        final boolean ownsExec;
        final CallDispatcher d;
        final HandlerLanes l;
        synchronized (this) {
            l = lanes;
            io = resources;
            ownsIo = ownsResources;
            listener = serverChannel;
            exec = executor;
            ownsExec = ownsExecutor;
            d = dispatcher;
        }
        if (listener != null) {
            listener.close().awaitUninterruptibly();
        }
        if (d != null) {
            d.closeAll();
        }
        if (io != null && ownsIo) {
            io.close();
        }
        if (l != null) {
            // Handlers still running after the drain timeout are not interrupted; their replies are dropped.
            l.shutdown();
        }
        if (ownsExec && exec instanceof ExecutorService) {
            // Handlers still running after the drain timeout are not interrupted; their replies are dropped.
            ((ExecutorService) exec).shutdown();
        }
    }

    /** For tests in this package: the dispatcher, once started. */
    synchronized CallDispatcher dispatcherForTest() {
        return dispatcher;
    }

    /** The address the server listens on, or {@code null} before it is bound. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /**
     * How many requests or connections this server refused or could not serve since it was built, by
     * kind: an immutable snapshot with every {@link RejectionKind}, zero or not. Each kind is logged on
     * its own rate limit, so this is the complete count where the log shows only a sample.
     */
    public Map<RejectionKind, Long> rejections() {
        return rejections.snapshot();
    }

    /** The port the server listens on, or -1 before it is bound. */
    public int port() {
        final InetSocketAddress a = localAddress;
        return a == null ? -1 : a.getPort();
    }

    /**
     * Changes the connection and QPS limits live, as Kitex's limiter {@code UpdateLimit} does for config-etcd's
     * server {@code limit} key ({@code {"connection_limit":n,"qps_limit":m}}): open connections stay open and
     * count against the new {@code maxConnections}; the QPS bucket keeps no more than one interval's tokens of
     * the new limit. The per-IP limit is unchanged.
     *
     * @param maxConnections as {@link KitexServerBuilder#maxConnections(int)}, {@code >= 1}
     * @param maxQps as {@link KitexServerBuilder#maxQps(int)}, {@code >= 0} (0: no limit)
     * @throws IllegalArgumentException naming the argument out of range
     */
    public void updateLimits(int maxConnections, int maxQps) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (maxQps < 0) {
            throw new IllegalArgumentException("maxQps: " + maxQps + " (expected: >= 0)");
        }
        limits.update(maxConnections, maxQps);
        logger.info("Limits of {} changed: maxConnections {}, maxQps {}", this, maxConnections, maxQps);
    }

    /** The connection limit in force ({@link KitexServerBuilder#maxConnections(int)}, or the last update). */
    public int maxConnections() {
        return limits.maxConnections();
    }

    /** The QPS limit in force, 0 for none ({@link KitexServerBuilder#maxQps(int)}, or the last update). */
    public int maxQps() {
        return limits.maxQps();
    }

    /**
     * The connections open now, those refused at accept included until they are closed (as Kitex's
     * connection limiter counts them).
     */
    public int openConnections() {
        return limits.openConnections();
    }

    /** The connections from {@code ip} open now, counted as {@link #openConnections()}. */
    public int openConnections(java.net.InetAddress ip) {
        return limits.openConnections(requireNonNull(ip, "ip"));
    }

    /** The current state. */
    public synchronized ServerState state() {
        return state;
    }

    /** The IDL service names served (what clients send as TTHeader {@code isn}), in registration order. */
    public Set<String> serviceNames() {
        return router.services().keySet();
    }

    /** The registration, once registered; {@code null} without a registry or after stopping. */
    public synchronized Registration registration() {
        return state == ServerState.STOPPED ? null : registration;
    }

    private void notifyListeners(String event, java.util.function.Consumer<ServerListener> call) {
        for (ServerListener l : config.listeners()) {
            try {
                call.accept(l);
            } catch (Throwable t) {
                logger.warn("ServerListener.{} of {} failed", event, l, t);
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }


    @Override
    public String toString() {
        final InetSocketAddress a = localAddress;
        return "KitexServer{services=" + router.services().keySet() + (a != null ? ", address=" + a : "") + '}';
    }
}
