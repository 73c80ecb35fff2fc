package io.kitex4j.thriftrpc.server;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import org.apache.thrift.TBaseProcessor;

import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Registry;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.thriftrpc.KitexResources;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;

/**
 * Builds a {@link KitexServer}. Not thread-safe; {@link #build()} may be called more than once: it
 * fixes the settings in an immutable value, so each server keeps the settings it was built with.
 *
 * <pre>{@code
 * KitexServer server = KitexServer.builder()
 *         .port(8888)
 *         .service(EchoServer.class, new EchoHandler())
 *         .registry(etcdRegistry, "echo")
 *         .build();
 * server.start().join();
 * }</pre>
 */
public final class KitexServerBuilder {

    /** Default {@link #maxFrameBytes(int)}: 16 MiB, the codec's default for clients and servers. */
    public static final int DEFAULT_MAX_FRAME_BYTES = KitexFrameDecoder.DEFAULT_MAX_FRAME_BYTES;
    /** Default {@link #maxNestingDepth(int)}: 64, as Kitex's skip decoder. */
    public static final int DEFAULT_MAX_NESTING_DEPTH = KitexFrameDecoder.DEFAULT_MAX_NESTING_DEPTH;
    /**
     * Default {@link #exitWait(Duration)}: 6 s, longer than the 5 s a Go Kitex client (registry-etcd
     * resolver) takes to refresh its instance list, so clients stop choosing this instance before it
     * stops listening.
     */
    public static final Duration DEFAULT_EXIT_WAIT = Duration.ofSeconds(6);
    /** Default {@link #drainTimeout(Duration)}: 5 s, Kitex's {@code ExitWaitTime}. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Default {@link #idleTimeout(Duration)}: 10 minutes, Kitex's server idle timeout
     * ({@code MaxConnectionIdleTime} = {@code defaultConnectionIdleTime} in Kitex's
     * {@code internal/server/config.go} and {@code remote_option.go}, given to netpoll as
     * {@code WithIdleTimeout} in {@code pkg/remote/trans/netpoll/trans_server.go#BootstrapServer}).
     */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
    /**
     * Default {@link #readTimeout(Duration)}: 5 s, Kitex's server read/write timeout
     * ({@code defaultReadWriteTimeout} in Kitex's {@code pkg/rpcinfo/rpcconfig.go}, given to netpoll as
     * {@code WithReadTimeout} in {@code pkg/remote/trans/netpoll/trans_server.go#BootstrapServer}).
     */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Default {@link #maxConnections(int)}: 10,000. Kitex has no limit unless
     * {@code server.WithLimit(&limit.Option{MaxConnections: n})} is given; a limit well below the usual
     * file descriptor limits keeps a flood of connections from taking the descriptors that the
     * process's own etcd and client connections need.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    /**
     * Default {@link #maxConnectionsPerIp(int)}: 5,000, half of {@link #DEFAULT_MAX_CONNECTIONS}, so
     * that one host cannot take every connection. Kitex has no per-IP limit. It is this high because
     * one IP can be many clients (a NAT, a sidecar proxy on the same host) and because a Kitex client's
     * pool opens one connection per concurrent call to an instance.
     */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 5_000;
    /**
     * Default {@link #maxInFlightRequestsPerConnection(int)}: 32. A Kitex client sends one request at a
     * time per connection (a deprecated mux client sends more), so only pipelining peers reach it.
     */
    public static final int DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION = 32;
    /** Default {@link #handlerStallThreshold(Duration)}: 2 ms. */
    public static final Duration DEFAULT_HANDLER_STALL_THRESHOLD = Duration.ofMillis(2);
    /** Default {@link #deregisterTimeout(Duration)}: 5 s. */
    public static final Duration DEFAULT_DEREGISTER_TIMEOUT = Duration.ofSeconds(5);

    private InetSocketAddress address = new InetSocketAddress(0);
    private final List<ServiceDefinition> services = new ArrayList<>();
    private String serviceName;
    private final List<Middleware> middlewares = new ArrayList<>();
    private KitexResources resources;
    private String fallbackService;
    private boolean refuseTrafficWithoutServiceName;
    private Executor executor;
    private boolean shutdownExecutorOnStop;
    private int maxHandlerThreads = KitexServer.DEFAULT_MAX_HANDLER_THREADS;
    private Duration handlerStallThreshold = DEFAULT_HANDLER_STALL_THRESHOLD;
    private int ioThreads;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private int maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH;
    private long rejectionLogPeriodNanos = RateLimitedLog.DEFAULT_PERIOD_NANOS;
    private int rejectionLogBurst = RateLimitedLog.DEFAULT_BURST;
    private boolean enforceDeadline;
    private boolean interruptOnDeadline;
    private boolean ttheaderServerMeta = true;
    private Registry registry;
    private String registryServiceName;
    private HostAndPort registryAddress;
    private int weight;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private boolean requireRegistration = true;
    private Duration exitWait = DEFAULT_EXIT_WAIT;
    private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    private Duration deregisterTimeout = DEFAULT_DEREGISTER_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;
    private int maxInFlightRequestsPerConnection = DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION;
    private int maxQps;
    private boolean shutdownHook = true;
    private boolean preferNativeTransport = true;
    private final List<ServerListener> listeners = new ArrayList<>();

    KitexServerBuilder() {}

    /** Listens on all interfaces at {@code port}; 0 (the default) picks a free port. */
    public KitexServerBuilder port(int port) {
        return address(new InetSocketAddress(checkPort(port)));
    }

    /** Listens on {@code host} (a name or literal; {@code ""} or {@code "0.0.0.0"} for all) at {@code port}. */
    public KitexServerBuilder address(String host, int port) {
        requireNonNull(host, "host");
        return address(host.isEmpty() ? new InetSocketAddress(checkPort(port))
                                      : new InetSocketAddress(host, checkPort(port)));
    }

    /** Listens on {@code address}. */
    public KitexServerBuilder address(InetSocketAddress address) {
        this.address = requireNonNull(address, "address");
        return this;
    }

    /**
     * Serves a service generated by the Apache Thrift Java generator: {@code serviceClass} is the
     * outer class ({@code EchoServer.class}). The IDL service name (what Kitex clients send as
     * {@code isn}) is the class's simple name. {@code impl} is one of:
     * <ul>
     * <li>an implementation of the generated {@code Iface}: each call runs on the handler executor and
     *     holds its thread until the method returns;</li>
     * <li>an implementation of the generated {@code AsyncIface} ({@code void m(args..., AsyncMethodCallback<R> cb)}):
     *     the method starts the work and returns; the reply is written when {@code cb} is called, from any
     *     thread, and no thread is held meanwhile;</li>
     * <li>any object with, for each IDL method, a public method of the same name and parameter types as in
     *     {@code Iface} that returns a {@link java.util.concurrent.CompletionStage} (e.g.
     *     {@code CompletableFuture<Response> Echo(Request req)}): the reply is written when the stage
     *     completes, and no thread is held meanwhile.</li>
     * </ul>
     * An object implementing both {@code Iface} and {@code AsyncIface} is served through {@code Iface}.
     * Asynchronous handlers see {@link ServerCallContext#current()} and
     * {@link io.kitex4j.core.Metainfo#current()} only while the method itself runs: capture them there
     * (thread-locals do not follow the continuation to another thread). Values sent with
     * {@link ServerCallContext#sendBackward} before completion are sent with the reply. A pending
     * asynchronous call counts toward {@link #maxInFlightRequestsPerConnection(int)} until it completes, and
     * a graceful stop waits for it (up to the {@linkplain #drainTimeout(Duration) drain timeout}).
     * Exceptions (IDL-declared, {@link io.kitex4j.core.BizStatusException}, others) are answered as for
     * {@code Iface} handlers, whether thrown or given to the callback or the stage.
     *
     * <p>The method is dispatched by kitex4j, not by the generated {@code Processor.process}, so
     * that errors are Kitex's, not libthrift's; the generated code still maps IDL-declared exceptions
     * to result fields.
     *
     * @throws IllegalArgumentException if the class is not a generated service, or {@code impl} is none of
     *     the above (the message names the methods that do not match)
     */
    public KitexServerBuilder service(Class<?> serviceClass, Object impl) {
        return service(null, serviceClass, impl);
    }

    /**
     * Like {@link #service(Class, Object)} with an explicit IDL service name, for a Java class whose
     * name differs from the IDL's service name.
     */
    public KitexServerBuilder service(String idlServiceName, Class<?> serviceClass, Object impl) {
        services.add(ServiceDefinition.of(idlServiceName, serviceClass, impl));
        return this;
    }

    /**
     * Serves a generated processor, e.g. {@code new EchoServer.Processor<>(impl)}. Only the
     * processor's method table and implementation are used (see {@link #service(Class, Object)}); a
     * hand-written {@code TProcessor} or a {@code TMultiplexedProcessor} is not supported (register
     * each service instead: Kitex routes by {@code isn}).
     */
    public KitexServerBuilder service(TBaseProcessor<?> processor) {
        services.add(ServiceDefinition.of(null, processor));
        return this;
    }

    /**
     * Names the service that wins when several services have a method of the same name and the
     * request carries no {@code isn} (Kitex {@code server.WithFallbackService()}). Without it such
     * conflicts make {@link #build()} fail, as Kitex refuses to run.
     */
    public KitexServerBuilder fallbackService(String idlServiceName) {
        this.fallbackService = requireNonNull(idlServiceName, "idlServiceName");
        return this;
    }

    /**
     * Routes only by {@code isn}: requests without it (no TTHeader) get "unknown service"
     * (Kitex {@code server.WithRefuseTrafficWithoutServiceName()}). Default off.
     */
    public KitexServerBuilder refuseTrafficWithoutServiceName(boolean refuse) {
        this.refuseTrafficWithoutServiceName = refuse;
        return this;
    }

    /**
     * The executor handlers run on, instead of the default handler lanes; the server does not shut it
     * down. Calls of one connection run one at a time; different connections run in parallel as far as
     * the executor allows. Each call is then one task: two thread hand-offs per call, where the default
     * pays them once per batch of calls.
     *
     * <p>Default (no executor): <b>handler lanes</b>. Handlers never run on the I/O threads. The requests
     * each I/O thread reads in one turn of its loop are handed, together, to a handler thread that runs
     * them one after another and hands the replies back together: about the cost of
     * {@link #directExecutor()} per call under load (figures in {@code benchmarks/README.md}). A handler may
     * block (JDBC, a blocking kitex4j client call, a lock): if none of a lane's calls started for
     * {@link #handlerStallThreshold(Duration)}, more handler threads are started for the calls waiting
     * in it, so one blocking handler delays the other connections of its I/O thread by about that
     * threshold at most, and never stalls reads, writes or other I/O threads. Handler threads (daemon,
     * named {@code kitex4j-handler-N}, at most {@link #maxHandlerThreads(int)}) end after 60 s idle and
     * are stopped with the server.
     *
     * <p>An executor that runs tasks on the calling thread would run handlers on Netty's I/O threads;
     * do not do that with handlers that block.
     */
    public KitexServerBuilder executor(Executor executor) {
        return executor(executor, false);
    }

    /**
     * The most handler threads of the default handler lanes (not used with {@link #executor(Executor)} or
     * {@link #directExecutor()}). At the limit, calls wait in their lane until a handler thread is free.
     * Default {@link KitexServer#DEFAULT_MAX_HANDLER_THREADS}.
     */
    public KitexServerBuilder maxHandlerThreads(int maxHandlerThreads) {
        if (maxHandlerThreads < 1) {
            throw new IllegalArgumentException("maxHandlerThreads: " + maxHandlerThreads + " (expected: >= 1)");
        }
        this.maxHandlerThreads = maxHandlerThreads;
        return this;
    }

    /**
     * How long the calls waiting in a handler lane may see no call of the lane start before more handler
     * threads are started for them (see {@link #executor(Executor)}): the longest a blocking handler
     * delays the other connections of its I/O thread, about. A shorter one reacts faster to handlers that
     * block and starts threads for handlers that merely run long; the check costs one timer task per
     * threshold per busy I/O thread. Default {@link #DEFAULT_HANDLER_STALL_THRESHOLD} (2 ms); between 100 µs
     * and 10 s.
     */
    public KitexServerBuilder handlerStallThreshold(Duration threshold) {
        requireNonNull(threshold, "handlerStallThreshold");
        if (threshold.compareTo(Duration.ofNanos(100_000)) < 0 || threshold.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("handlerStallThreshold: " + threshold + " (expected: 100µs-10s)");
        }
        this.handlerStallThreshold = threshold;
        return this;
    }

    /**
     * The executor handlers run on; with {@code shutdownOnStop} and an
     * {@link java.util.concurrent.ExecutorService}, the server shuts it down after it stopped.
     */
    public KitexServerBuilder executor(Executor executor, boolean shutdownOnStop) {
        this.executor = requireNonNull(executor, "executor");
        this.shutdownExecutorOnStop = shutdownOnStop;
        return this;
    }

    /**
     * Runs handlers on the I/O thread that read the request, with no hand-off to an executor: the
     * counterpart of grpc-java's {@code ServerBuilder.directExecutor()}, and closest to a Kitex server,
     * which runs a handler on the goroutine that read its request.
     *
     * <p>Only for handlers that never block (no I/O, no locks held long, no blocking kitex4j client
     * calls): while a handler runs, every other connection of its I/O thread waits. It saves the hand-off
     * of each batch of calls to the default handler lanes; the figures are in {@code benchmarks/README.md}. Cannot be combined
     * with {@link #interruptOnDeadline(boolean)}, which would interrupt an I/O thread;
     * {@link #build()} refuses that.
     */
    public KitexServerBuilder directExecutor() {
        this.executor = DIRECT;
        this.shutdownExecutorOnStop = false;
        return this;
    }

    /** The marker of {@link #directExecutor()}; runs a task on the calling thread. */
    static final Executor DIRECT = new Executor() {
        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public String toString() {
            return "directExecutor";
        }
    };

    /**
     * The number of Netty I/O threads of the event loops the server creates (not used with
     * {@link #resources(KitexResources)}). 0 (the default) means two per CPU ({@code Runtime.availableProcessors()}),
     * or one per CPU with {@link #directExecutor()}: the settings that did best in this repository's
     * benchmarks ({@code benchmarks/README.md}).
     */
    public KitexServerBuilder ioThreads(int ioThreads) {
        if (ioThreads < 0) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 0)");
        }
        this.ioThreads = ioThreads;
        return this;
    }

    /**
     * The largest message accepted, in bytes, as announced by its length field (TTHeader LENGTH or
     * frame length) or measured (Buffered). A larger one is malformed input: the connection is closed
     * without reading it. Default {@value #DEFAULT_MAX_FRAME_BYTES}. Kitex has no limit by default.
     */
    public KitexServerBuilder maxFrameBytes(int maxFrameBytes) {
        if (maxFrameBytes < 64) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " (expected: >= 64)");
        }
        this.maxFrameBytes = maxFrameBytes;
        return this;
    }

    /**
     * The deepest nesting of structs and containers accepted in a request, on every transport; a deeper
     * request gets a protocol error (TApplicationException type 7), then its connection is closed, and
     * is counted as {@link RejectionKind#NESTING_TOO_DEEP}. Each struct is one level (the arguments
     * struct is level 1), and so is each non-empty list, set or map of structs, containers or strings.
     * The check is made as the arguments are read, so the generated code's recursion stays bounded.
     * Default {@value #DEFAULT_MAX_NESTING_DEPTH}, the limit of Kitex's skip decoder.
     */
    public KitexServerBuilder maxNestingDepth(int maxNestingDepth) {
        if (maxNestingDepth < 1) {
            throw new IllegalArgumentException("maxNestingDepth: " + maxNestingDepth + " (expected: >= 1)");
        }
        this.maxNestingDepth = maxNestingDepth;
        return this;
    }

    /**
     * How many lines each {@link RejectionKind} logs: at most {@code burst} per {@code period} (default
     * {@value RateLimitedLog#DEFAULT_BURST} per {@link RateLimitedLog#DEFAULT_PERIOD_NANOS} ns); what is
     * not logged is still counted in {@link KitexServer#rejections()}.
     *
     * @throws IllegalArgumentException if {@code period} is not positive or {@code burst} is below 1
     */
    public KitexServerBuilder rejectionLogLimit(Duration period, int burst) {
        requireNonNull(period, "period");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        rejectionLogPeriodNanos = period.toNanos();
        rejectionLogBurst = burst;
        return this;
    }

    /**
     * Enforces the caller's deadline (TTHeader RPC_TIMEOUT, counted from when the request was read):
     * a request whose deadline has passed before its handler starts (it waited behind other calls of
     * its connection, or for an executor thread) is not run, and the reply is an exception of type 6,
     * {@code "biz error: context deadline exceeded"}: what a Kitex server with
     * {@code WithEnableContextTimeout} sends when the handler returns {@code ctx.Err()}. Default off,
     * as in Kitex. The deadline is always visible in {@link ServerCallContext#deadline()}.
     */
    public KitexServerBuilder enforceDeadline(boolean enforce) {
        this.enforceDeadline = enforce;
        return this;
    }

    /**
     * Also interrupts a handler thread still running when its deadline passes (implies
     * {@link #enforceDeadline(boolean)}): the Java counterpart of Go's context cancellation. If the
     * handler then fails, the reply is {@code "biz error: context deadline exceeded"}; if it returns
     * normally, its result is sent. The interrupt flag is cleared before the thread runs anything
     * else. Default off: interrupting can have side effects (it closes an
     * {@link java.nio.channels.InterruptibleChannel} the thread is using).
     */
    public KitexServerBuilder interruptOnDeadline(boolean interrupt) {
        this.interruptOnDeadline = interrupt;
        return this;
    }

    /**
     * Whether TTHeader responses carry what Kitex's {@code transmeta.ServerTTHeaderHandler} writes:
     * int key 22 (message type, {@code "2"} reply / {@code "3"} exception), the {@code biz-status},
     * {@code biz-message} and {@code biz-extra} keys of a {@link io.kitex4j.core.BizStatusException},
     * and {@code crrst=1} while stopping or before closing after an error. Default on: clients ignore
     * keys they do not use, and without it business status errors are lost (the client sees success
     * with an empty result). Off, a TTHeader response header is byte-identical to a default Kitex
     * server's (only backward metainfo). Non-TTHeader transports have no header either way.
     */
    public KitexServerBuilder ttheaderServerMeta(boolean enabled) {
        this.ttheaderServerMeta = enabled;
        return this;
    }

    /**
     * Registers the server in {@code registry} under {@code serviceName} once its port is bound, and
     * deregisters it first thing when it stops. The registry is not closed by the server.
     */
    public KitexServerBuilder registry(Registry registry, String serviceName) {
        this.registry = requireNonNull(registry, "registry");
        this.registryServiceName = requireNonNull(serviceName, "serviceName");
        return this;
    }

    /**
     * This server's service name, Kitex's {@code server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{
     * ServiceName: ...})}: what {@link io.kitex4j.core.rpc.CallContext#calleeService()} returns to handlers
     * and middleware. Default: the name given to {@link #registry(Registry, String)}, or {@code ""}.
     */
    public KitexServerBuilder serviceName(String serviceName) {
        this.serviceName = requireNonNull(serviceName, "serviceName");
        return this;
    }

    /**
     * Adds server middleware, run around every call's handler (oneway calls included). The first one
     * added is outermost: it sees the call first and the result last, as Kitex's
     * {@code server.WithMiddleware}. Each is {@linkplain Middleware#wrap wrapped} once, at {@link #build()}.
     *
     * <p>The endpoint a middleware wraps takes the method's arguments struct (e.g. {@code Echo_args}) and
     * completes with the method's return value ({@code null} for {@code void} and oneway methods), or
     * exceptionally with what the handler threw. A middleware may return a value or a failure without calling
     * {@code next}, change {@link io.kitex4j.core.rpc.CallContext#setMetainfo metainfo} before calling it
     * (the handler then sees the new value in {@link io.kitex4j.core.Metainfo#current()}), or map the
     * failure. The server turns the outcome into the reply exactly as it does a handler's: an IDL-declared
     * exception becomes a REPLY with its result field set, a {@link io.kitex4j.core.BizStatusException}
     * becomes the {@code biz-*} headers, anything else an EXCEPTION of type 6 ({@code biz error: ...}).
     *
     * <p>Middleware runs on the handler's thread (the executor, or the I/O thread with
     * {@link #directExecutor()}), with {@link io.kitex4j.core.rpc.CallContext#current()} set; a future it
     * completes later may complete on any thread. Without middleware, nothing is added to a call's path.
     */
    public KitexServerBuilder middleware(Middleware... middlewares) {
        for (Middleware m : requireNonNull(middlewares, "middlewares")) {
            this.middlewares.add(requireNonNull(m, "middleware"));
        }
        return this;
    }

    /**
     * The event loops (and with them the choice of epoll or NIO) the server does its I/O on; the server
     * does not close them. Servers and clients may share one {@link KitexResources}. Mind that
     * {@link KitexResources#shared()} has daemon threads: a server on them does not keep the JVM alive.
     *
     * <p>Default: the server creates its own, of {@link #ioThreads(int)} non-daemon threads named
     * {@code kitex4j-server-io-N} (with {@link #preferNativeTransport(boolean)}), and closes them when it
     * stops, so that a started server keeps the JVM alive. {@link #ioThreads(int)} and
     * {@link #preferNativeTransport(boolean)} apply only to that default.
     */
    public KitexServerBuilder resources(KitexResources resources) {
        this.resources = requireNonNull(resources, "resources");
        return this;
    }

    /**
     * The address to register instead of the bound one ({@code host:port}, {@code [v6]:port}), for
     * NAT or containers. The registry's own rules still apply (a wildcard host becomes this host's
     * address; {@code KITEX_IP_TO_REGISTRY}/{@code KITEX_PORT_TO_REGISTRY} override it).
     */
    public KitexServerBuilder registryAddress(String hostAndPort) {
        this.registryAddress = HostAndPort.parse(requireNonNull(hostAndPort, "hostAndPort"));
        return this;
    }

    /** The registered weight; 0 (the default) is written as 10, like Kitex. */
    public KitexServerBuilder weight(int weight) {
        this.weight = weight;
        return this;
    }

    /** Adds a registered tag. */
    public KitexServerBuilder tag(String key, String value) {
        tags.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
        return this;
    }

    /** Adds registered tags. */
    public KitexServerBuilder tags(Map<String, String> tags) {
        requireNonNull(tags, "tags").forEach(this::tag);
        return this;
    }

    /**
     * Whether a failed registration fails {@link KitexServer#start()} (and stops the server), as a
     * Go Kitex server's {@code Run} fails. Default true. When false, the server starts anyway and the
     * registry keeps retrying in the background (see {@link io.kitex4j.core.discovery.RegistrationException}).
     */
    public KitexServerBuilder requireRegistration(boolean require) {
        this.requireRegistration = require;
        return this;
    }

    /**
     * How long the server keeps serving after deregistering, before it stops listening, so that
     * clients drop it from their instance lists first. Only with a {@link #registry registry}.
     * Default {@link #DEFAULT_EXIT_WAIT} (6 s).
     */
    public KitexServerBuilder exitWait(Duration exitWait) {
        this.exitWait = checkNotNegative(exitWait, "exitWait");
        return this;
    }

    /**
     * How long the server waits, after it stopped listening, for connections to finish the requests
     * they have read; then it closes what is left. Default {@link #DEFAULT_DRAIN_TIMEOUT} (5 s).
     */
    public KitexServerBuilder drainTimeout(Duration drainTimeout) {
        this.drainTimeout = checkNotNegative(drainTimeout, "drainTimeout");
        return this;
    }

    /**
     * Closes a connection that has neither read nor written anything for this long and has no call
     * in progress, as a Kitex server does after 10 minutes. {@link Duration#ZERO} disables it.
     * Default {@link #DEFAULT_IDLE_TIMEOUT}.
     */
    public KitexServerBuilder idleTimeout(Duration idleTimeout) {
        this.idleTimeout = checkNotNegative(idleTimeout, "idleTimeout");
        return this;
    }

    /**
     * Closes a connection when a frame (request message) it started has not arrived whole this long
     * after its first bytes were read, as a Kitex server closes a connection whose read times out.
     * It guards against peers that send part of a frame and stall, each holding a connection and its
     * buffer. Time during which the server itself stopped reading (see
     * {@link #maxInFlightRequestsPerConnection(int)}) does not count. The requests read before are
     * still answered, then the connection closes, with a rate-limited WARN naming the peer.
     * {@link Duration#ZERO} disables it. Default {@link #DEFAULT_READ_TIMEOUT} (5 s).
     *
     * <p>The whole frame must arrive within the timeout, however slowly its bytes trickle in; with the
     * default, a 16 MiB frame needs a peer that sends at least 3.2 MB/s.
     */
    public KitexServerBuilder readTimeout(Duration readTimeout) {
        this.readTimeout = checkNotNegative(readTimeout, "readTimeout");
        return this;
    }

    /**
     * The most connections the server keeps open. One more is closed as soon as it is accepted, before
     * anything is read, with a rate-limited WARN naming the peer, as Kitex's connection limiter does
     * ({@code server.WithLimit(&limit.Option{MaxConnections: n})}). Default
     * {@link #DEFAULT_MAX_CONNECTIONS} (10,000; Kitex has no limit by default).
     *
     * @throws IllegalArgumentException if {@code maxConnections} is below 1
     */
    public KitexServerBuilder maxConnections(int maxConnections) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        this.maxConnections = maxConnections;
        return this;
    }

    /**
     * The most connections the server keeps open from one remote IP address. One more from that
     * address is closed as soon as it is accepted, with a rate-limited WARN naming the peer. Default
     * {@link #DEFAULT_MAX_CONNECTIONS_PER_IP} (5,000; Kitex has no such limit). Mind NATs and sidecar
     * proxies, behind which many clients share one address.
     *
     * @throws IllegalArgumentException if {@code maxConnectionsPerIp} is below 1
     */
    public KitexServerBuilder maxConnectionsPerIp(int maxConnectionsPerIp) {
        if (maxConnectionsPerIp < 1) {
            throw new IllegalArgumentException("maxConnectionsPerIp: " + maxConnectionsPerIp + " (expected: >= 1)");
        }
        this.maxConnectionsPerIp = maxConnectionsPerIp;
        return this;
    }

    /**
     * The most requests of one connection that are read and not yet answered (the one running and
     * those waiting behind it: calls of one connection run one at a time, in order, as in Kitex). At
     * this number the server stops reading from the connection until a call is answered, so the peer's
     * writes back up through TCP; nothing is refused. Logged (rate-limited, INFO) when it bites. This
     * bounds the memory one pipelining peer can hold to this many frames of up to
     * {@link #maxFrameBytes(int)} each. It applies to every transport, TTHeader frames with the mux flag
     * ({@code 0x0001}) included: they are served like the others. Default
     * {@link #DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION} (32). Kitex has no such limit.
     *
     * @throws IllegalArgumentException if {@code maxInFlightRequestsPerConnection} is below 1
     */
    public KitexServerBuilder maxInFlightRequestsPerConnection(int maxInFlightRequestsPerConnection) {
        if (maxInFlightRequestsPerConnection < 1) {
            throw new IllegalArgumentException("maxInFlightRequestsPerConnection: " + maxInFlightRequestsPerConnection
                                               + " (expected: >= 1)");
        }
        this.maxInFlightRequestsPerConnection = maxInFlightRequestsPerConnection;
        return this;
    }

    /**
     * The most requests per second, Kitex's {@code server.WithLimit(&limit.Option{MaxQPS: n})} with Kitex's
     * limiter: a bucket of {@code maxQps} tokens, refilled by {@code maxQps / 10} every 100 ms (starting with that
     * much), one per request, across all connections. A request finding no token is refused as Kitex refuses it:
     * its connection is closed without a reply (a Go client gets {@code remote or network error: default codec
     * read failed: EOF peer close}, a kitex4j client a {@link io.kitex4j.core.ConnectionLostException}), logged
     * and counted as {@link RejectionKind#QPS_OVER_LIMIT}. 0 (the default) means no limit; a limit under 10 admits
     * nothing, as in Kitex. {@link KitexServer#updateLimits(int, int)} changes it live.
     *
     * @throws IllegalArgumentException if {@code maxQps} is negative
     */
    public KitexServerBuilder maxQps(int maxQps) {
        if (maxQps < 0) {
            throw new IllegalArgumentException("maxQps: " + maxQps + " (expected: >= 0)");
        }
        this.maxQps = maxQps;
        return this;
    }

    /** How long stopping waits for the deregistration. Default 5 s. */
    public KitexServerBuilder deregisterTimeout(Duration deregisterTimeout) {
        this.deregisterTimeout = checkNotNegative(deregisterTimeout, "deregisterTimeout");
        return this;
    }

    /**
     * Whether a JVM shutdown hook stops the server gracefully (deregistering first). Default true.
     * The hook is added when the server starts and removed when it stops.
     */
    public KitexServerBuilder shutdownHook(boolean enabled) {
        this.shutdownHook = enabled;
        return this;
    }

    /**
     * Whether the server's own event loops use native epoll when available (default true); false always uses
     * NIO. Passed to the {@link KitexResources} the server creates; ignored with {@link #resources}.
     */
    public KitexServerBuilder preferNativeTransport(boolean prefer) {
        this.preferNativeTransport = prefer;
        return this;
    }

    /** Adds a life-cycle listener. */
    public KitexServerBuilder listener(ServerListener listener) {
        listeners.add(requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Builds the server; it does nothing until {@link KitexServer#start()}.
     *
     * @throws IllegalStateException if no service was added, or {@link #directExecutor()} is combined with
     *     {@link #interruptOnDeadline(boolean)}
     * @throws IllegalArgumentException if services conflict as Kitex would refuse them (the same
     *     service twice, a method in two services and no fallback service)
     */
    public KitexServer build() {
        if (executor == DIRECT && interruptOnDeadline) {
            throw new IllegalStateException("interruptOnDeadline cannot be combined with directExecutor(): "
                    + "it would interrupt an I/O thread");
        }
        final ServiceRouter router = new ServiceRouter(services, fallbackService, refuseTrafficWithoutServiceName);
        final String name = serviceName != null ? serviceName : registryServiceName != null ? registryServiceName : "";
        return new KitexServer(new ServerConfig(
                address, router, name, middlewares, executor, shutdownExecutorOnStop, maxHandlerThreads,
                handlerStallThreshold, resources, ioThreads,
                preferNativeTransport, maxFrameBytes, maxNestingDepth, rejectionLogPeriodNanos, rejectionLogBurst,
                enforceDeadline, interruptOnDeadline, ttheaderServerMeta, registry, registryServiceName,
                registryAddress, weight, tags, requireRegistration, exitWait, drainTimeout, deregisterTimeout,
                idleTimeout, readTimeout, maxConnections, maxConnectionsPerIp, maxInFlightRequestsPerConnection,
                maxQps, shutdownHook, listeners));
    }

    private static int checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
        return port;
    }

    private static Duration checkNotNegative(Duration d, String name) {
        requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: >= 0)");
        }
        return d;
    }
}
