package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.Metainfo;
import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.loadbalance.LoadBalancers;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;
import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.core.rpc.TimeoutProvider;
import io.kitex4j.thriftrpc.KitexResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link KitexClient}. Setters only record values; {@link #build()} checks them and names
 * the first bad one in its exception.
 *
 * <p>Required: {@link #service(String)} and where to find it: {@link #resolver(Resolver)},
 * {@link #addresses(List)} or {@link #instances(List)} (the last one set wins). Everything else
 * has Kitex's default.
 */
public final class KitexClientBuilder {

    /** Kitex's default connect timeout ({@code pkg/rpcinfo/rpcconfig.go}). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofMillis(50);
    /** Kitex's {@code connpool.LongConnConfig} default {@code MaxIdlePerAddress}. */
    public static final int DEFAULT_MAX_IDLE_PER_ADDRESS = 10;
    /** Kitex's default {@code MaxIdleGlobal}. */
    public static final int DEFAULT_MAX_IDLE_GLOBAL = 100;
    /** Kitex's default {@code MaxIdleTimeout}. */
    public static final Duration DEFAULT_MAX_IDLE_TIMEOUT = Duration.ofMinutes(1);
    /** Default attempts per call (Kitex's failure-retry default of 2 retries). */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /**
     * Default first period for which an instance that refused a connection is avoided: twice
     * Kitex's default connect timeout, short enough that a server restarting in place is called
     * again within a few hundred milliseconds.
     */
    public static final Duration DEFAULT_REFUSED_INSTANCE_INITIAL_BACKOFF = Duration.ofMillis(100);
    /**
     * Default longest period between two probes of an instance that keeps refusing: a killed
     * server's etcd key lives up to registry-etcd's lease TTL (60 s), which then costs each process
     * about a dozen probes instead of a failed connect on every pick.
     */
    public static final Duration DEFAULT_REFUSED_INSTANCE_MAX_BACKOFF = Duration.ofSeconds(10);

    String service;
    String fromService = "";
    Resolver resolver;
    List<Instance> instances;
    LoadBalancer loadBalancer = LoadBalancers.defaultBalancer();
    Transport transport;
    Duration rpcTimeout;
    Duration connectTimeout;
    int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    boolean avoidRefusedInstances = true;
    Duration refusedInstanceInitialBackoff = DEFAULT_REFUSED_INSTANCE_INITIAL_BACKOFF;
    Duration refusedInstanceMaxBackoff = DEFAULT_REFUSED_INSTANCE_MAX_BACKOFF;
    int maxIdlePerAddress = DEFAULT_MAX_IDLE_PER_ADDRESS;
    int maxIdleGlobal = DEFAULT_MAX_IDLE_GLOBAL;
    Duration maxIdleTimeout = DEFAULT_MAX_IDLE_TIMEOUT;
    int muxConnections;
    int maxFrameBytes = KitexFrameDecoder.DEFAULT_MAX_FRAME_BYTES;
    int maxNestingDepth = KitexFrameDecoder.DEFAULT_MAX_NESTING_DEPTH;
    Integer ioThreads;
    KitexResources resources;
    final List<Middleware> middlewares = new ArrayList<>();
    TimeoutProvider timeoutProvider;
    InstanceGate instanceGate;
    // Set for newBuilder() variants: what they share with their parent.
    private final ClientResources shared;
    private String invalid;

    KitexClientBuilder() {
        this.shared = null;
    }

    /** A builder holding {@code base}, for a variant that shares {@code shared}. */
    KitexClientBuilder(ClientConfig base, ClientResources shared) {
        this.shared = shared;
        service = base.service();
        fromService = base.fromService();
        resolver = base.resolver();
        instances = base.instances();
        loadBalancer = base.loadBalancer();
        transport = base.transport();
        rpcTimeout = base.rpcTimeout();
        connectTimeout = base.connectTimeout();
        maxAttempts = base.maxAttempts();
        avoidRefusedInstances = base.avoidRefusedInstances();
        refusedInstanceInitialBackoff = base.refusedInstanceInitialBackoff();
        refusedInstanceMaxBackoff = base.refusedInstanceMaxBackoff();
        maxIdlePerAddress = base.maxIdlePerAddress();
        maxIdleGlobal = base.maxIdleGlobal();
        maxIdleTimeout = base.maxIdleTimeout();
        muxConnections = base.muxConnections();
        maxFrameBytes = base.maxFrameBytes();
        maxNestingDepth = base.maxNestingDepth();
        middlewares.addAll(base.middlewares());
        timeoutProvider = base.timeoutProvider();
        instanceGate = base.instanceGate();
        // resources and ioThreads are not taken: a variant runs on its parent's.
    }

    /**
     * The Kitex service to call: the name discovery looks up and TTHeader key 6. Required.
     */
    public KitexClientBuilder service(String service) {
        this.service = requireNonNull(service, "service");
        return this;
    }

    /** This caller's service name, sent as TTHeader key 3 (Kitex's {@code WithClientBasicInfo}); default {@code ""}. */
    public KitexClientBuilder fromService(String fromService) {
        this.fromService = requireNonNull(fromService, "fromService");
        return this;
    }

    /**
     * Finds the instances of {@link #service(String)} through {@code resolver}, following its
     * changes (Kitex's {@code WithResolver}). Replaces fixed addresses set earlier. The resolver is
     * not closed by the client.
     */
    public KitexClientBuilder resolver(Resolver resolver) {
        this.resolver = requireNonNull(resolver, "resolver");
        this.instances = null;
        this.invalid = null;
        return this;
    }

    /**
     * Calls fixed addresses ({@code host:port}, {@code [v6]:port}), each with the default weight
     * 10 (Kitex's {@code WithHostPorts}). Replaces a resolver or addresses set earlier.
     */
    public KitexClientBuilder addresses(String... addresses) {
        return addresses(Arrays.asList(requireNonNull(addresses, "addresses")));
    }

    /**
     * Calls fixed addresses ({@code host:port}, {@code [v6]:port}), each with the default weight
     * 10 (Kitex's {@code WithHostPorts}). Replaces a resolver or addresses set earlier.
     */
    public KitexClientBuilder addresses(List<String> addresses) {
        requireNonNull(addresses, "addresses");
        this.resolver = null;
        this.invalid = null;
        final List<Instance> list = new ArrayList<>(addresses.size());
        for (String a : addresses) {
            requireNonNull(a, "address");
            try {
                list.add(Instance.of(HostAndPort.parse(a).toString(), Instance.DEFAULT_WEIGHT));
            } catch (IllegalArgumentException e) {
                invalid = "addresses: " + e.getMessage();
            }
        }
        this.instances = list;
        return this;
    }

    /** Calls fixed instances, with their weights. Replaces a resolver or addresses set earlier. */
    public KitexClientBuilder instances(List<Instance> instances) {
        requireNonNull(instances, "instances");
        instances.forEach(i -> requireNonNull(i, "instance"));
        this.instances = List.copyOf(instances);
        this.resolver = null;
        this.invalid = null;
        return this;
    }

    /** The load balancer; default {@link LoadBalancers#defaultBalancer()} (Kitex's weighted round robin). */
    public KitexClientBuilder loadBalancer(LoadBalancer loadBalancer) {
        this.loadBalancer = requireNonNull(loadBalancer, "loadBalancer");
        return this;
    }

    /**
     * The transport of requests; default {@link Transport#FRAMED} (as Kitex since v0.13), or
     * {@link Transport#TTHEADER_FRAMED} when {@linkplain #multiplexed(int) multiplexed}. Metainfo,
     * business errors and backward values need a TTHeader transport.
     */
    public KitexClientBuilder transport(Transport transport) {
        this.transport = requireNonNull(transport, "transport");
        return this;
    }

    /**
     * The RPC timeout of each call: from the call's start to its decoded reply, retries of requests that
     * provably did not reach a server included. A middleware that invokes its endpoint again (retry, backup
     * request) gives each attempt its own RPC timeout, as Kitex does. Sent to the server as TTHeader key 12. Default none, as in Kitex; {@link Duration#ZERO} means
     * none. {@link CallOptions} overrides it per call.
     */
    public KitexClientBuilder rpcTimeout(Duration rpcTimeout) {
        this.rpcTimeout = requireNonNull(rpcTimeout, "rpcTimeout");
        return this;
    }

    /**
     * The connect timeout; default 50 ms, as in Kitex. When set here it is also sent as TTHeader
     * key 17, as Kitex does for an explicitly set one.
     */
    public KitexClientBuilder connectTimeout(Duration connectTimeout) {
        this.connectTimeout = requireNonNull(connectTimeout, "connectTimeout");
        return this;
    }

    /**
     * The most attempts per call when the request provably did not reach a server (connect or
     * write failure, stale pooled connection); default 3. 1 disables retries.
     */
    public KitexClientBuilder maxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
        return this;
    }

    /**
     * Whether calls avoid an instance whose address refused a connection; default true.
     *
     * <p>A connect that is refused or reset (nothing listens there: the server was killed, or is
     * restarting) takes the address out of the picker of every client of this process that has
     * this on, for a backoff period ({@link #refusedInstanceBackoff(Duration, Duration)}); when it
     * ends, a single call goes to it as a probe while the others keep avoiding it. A refused probe
     * doubles the period, up to the maximum; the address is back at the first successful connect,
     * or as soon as etcd changes or re-adds its instance. Each period is jittered by &plusmn;20%. A
     * connect <em>timeout</em> does not count. If every instance is avoided, calls go to them as if
     * none were, rather than fail with {@link io.kitex4j.core.NoInstanceException}. The healthy instances keep the
     * load balancer's weights: its picker is rebuilt over them. With consistent hashing the keys of
     * an avoided instance move as if it had left the instance list.
     *
     * <p>At most 4,096 addresses are tracked in the process. Marks and recoveries are logged once
     * per address (rate limited) and counted in {@link KitexClient#refusedInstanceStats()}.
     * Kitex's Go client has no such rule: it keeps sending first attempts to a killed server until
     * its etcd key expires (each retried elsewhere, after a failed connect).
     */
    public KitexClientBuilder avoidRefusedInstances(boolean avoidRefusedInstances) {
        this.avoidRefusedInstances = avoidRefusedInstances;
        return this;
    }

    /**
     * The backoff of {@link #avoidRefusedInstances(boolean)}: the first period an instance that
     * refused a connection is avoided (default 100 ms), doubled by each refused probe up to {@code
     * max} (default 10 s).
     *
     * @throws IllegalArgumentException at {@link #build()} if {@code initial} is not positive or
     *     {@code max} is less than {@code initial}
     */
    public KitexClientBuilder refusedInstanceBackoff(Duration initial, Duration max) {
        this.refusedInstanceInitialBackoff = requireNonNull(initial, "initial");
        this.refusedInstanceMaxBackoff = requireNonNull(max, "max");
        return this;
    }

    /** Idle connections kept per address; default 10. 0 closes every connection after its call. */
    public KitexClientBuilder maxIdlePerAddress(int maxIdlePerAddress) {
        this.maxIdlePerAddress = maxIdlePerAddress;
        return this;
    }

    /** Idle connections kept in all; default 100. */
    public KitexClientBuilder maxIdleGlobal(int maxIdleGlobal) {
        this.maxIdleGlobal = maxIdleGlobal;
        return this;
    }

    /** How long a connection may stay idle before it is closed; default 1 minute. */
    public KitexClientBuilder maxIdleTimeout(Duration maxIdleTimeout) {
        this.maxIdleTimeout = requireNonNull(maxIdleTimeout, "maxIdleTimeout");
        return this;
    }

    /**
     * Multiplexes calls over {@code connectionsPerAddress} shared connections per address (Kitex's
     * deprecated {@code WithMuxConnection}); 0 (the default) turns it off. Needs a TTHeader
     * transport and a server that supports it (Kitex's {@code WithMuxTransport}, or kitex4j's
     * server): replies may come in any order and are matched by the TTHeader sequence id.
     */
    public KitexClientBuilder multiplexed(int connectionsPerAddress) {
        this.muxConnections = connectionsPerAddress;
        return this;
    }

    /** The largest reply frame accepted; default 16 MiB. A larger one fails the call and closes its connection. */
    public KitexClientBuilder maxFrameBytes(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
        return this;
    }

    /**
     * The deepest nesting of structs and containers accepted in a reply, counted as the server's
     * {@code KitexServerBuilder.maxNestingDepth} counts it (the result struct is level 1); default
     * {@value KitexFrameDecoder#DEFAULT_MAX_NESTING_DEPTH}, as Kitex's skip decoder. A deeper reply fails the
     * call with a {@code TProtocolException} of type {@code DEPTH_LIMIT} and closes its connection,
     * instead of letting the generated reader recurse until the stack overflows.
     */
    public KitexClientBuilder maxNestingDepth(int maxNestingDepth) {
        this.maxNestingDepth = maxNestingDepth;
        return this;
    }

    /**
     * Runs the client on {@code resources} (event loops, native transport), which the client does not
     * close; default {@link KitexResources#shared()}. Closing {@code resources} makes later calls fail
     * with {@link io.kitex4j.core.ClientClosedException}. Not for {@link KitexClient#newBuilder()}
     * variants, which run on their parent's.
     */
    public KitexClientBuilder resources(KitexResources resources) {
        this.resources = requireNonNull(resources, "resources");
        return this;
    }

    /**
     * Runs the client on resources of its own with {@code ioThreads} I/O threads, closed with the last
     * of the client and its variants; the default is {@link KitexResources#shared()}. Not together with
     * {@link #resources(KitexResources)}, and not for {@link KitexClient#newBuilder()} variants.
     */
    public KitexClientBuilder ioThreads(int ioThreads) {
        this.ioThreads = ioThreads;
        return this;
    }

    /**
     * Adds client middleware, Kitex's {@code client.WithMiddleware}: the first one registered is the
     * outermost (it sees the call first and its outcome last). A {@link KitexClient#newBuilder()} variant
     * starts with its parent's middleware and appends what it adds. Middleware sees every call: blocking
     * and asynchronous stubs, {@link KitexClient#call} and {@link KitexClient#oneway}.
     *
     * <p>The endpoint a client middleware wraps sends the request: each time it is invoked is one more
     * attempt ({@link io.kitex4j.core.rpc.CallContext#attempt()}), with its own RPC timeout, instance pick
     * (avoiding the instances earlier attempts used, unless {@link io.kitex4j.core.rpc.CallContext#SAME_INSTANCE}
     * is set), connection, retries of requests that provably did not reach a server, and the metainfo the
     * context had when it was invoked. Attempts may overlap (backup requests); cancelling an attempt's future
     * aborts it, cancelling the chain's future aborts all. It must be invoked with the {@code CallContext} the
     * middleware was given, and with the method's arguments struct (the same or a replacement of the same
     * class).
     */
    public KitexClientBuilder middleware(Middleware... middlewares) {
        requireNonNull(middlewares, "middlewares");
        for (Middleware m : middlewares) {
            this.middlewares.add(requireNonNull(m, "middleware"));
        }
        return this;
    }

    /**
     * Chooses the timeouts of each call from its context (Kitex's {@code client.WithTimeoutProvider}; e.g.
     * per method, from kitex4j-governance's {@code ClientGovernance.timeoutProvider()}). Asked once per call,
     * when it starts. Per timeout, a {@link CallOptions} value wins over the provider's, and the provider's
     * (when not {@code null}) over {@link #rpcTimeout(Duration)} and {@link #connectTimeout(Duration)}. A
     * connect timeout the provider chooses is sent as TTHeader key 17, as one set here is. An exception it
     * throws fails the call. Default none.
     */
    public KitexClientBuilder timeoutProvider(TimeoutProvider timeoutProvider) {
        this.timeoutProvider = requireNonNull(timeoutProvider, "timeoutProvider");
        return this;
    }

    /**
     * Asks {@code gate} before each call goes to an instance: the picker skips the instances it does not
     * allow (picking again, as Kitex's resolver does when its instance circuit breaker refuses), and when
     * it allows none the call fails at once with the gate's {@linkplain InstanceGate#rejection(String)
     * rejection}. Default none; {@code null} removes it (so that an optional gate, such as a governance's whose
     * instance breakers are off, can be passed as it is). Works with or without {@link
     * #avoidRefusedInstances(boolean)}. With consistent hashing the keys of a disallowed instance go to another
     * allowed instance for as long as it is disallowed.
     */
    public KitexClientBuilder instanceGate(InstanceGate gate) {
        this.instanceGate = gate;
        return this;
    }

    /**
     * Checks the settings and builds the client.
     *
     * @throws IllegalArgumentException naming the first invalid setting
     * @throws IllegalStateException if this is a variant of a closed client
     */
    public KitexClient build() {
        validate();
        final ClientConfig config = new ClientConfig(service, fromService, resolver, instances, loadBalancer,
                transport, rpcTimeout, connectTimeout, maxAttempts, avoidRefusedInstances,
                refusedInstanceInitialBackoff, refusedInstanceMaxBackoff, maxIdlePerAddress, maxIdleGlobal,
                maxIdleTimeout, muxConnections, maxFrameBytes, maxNestingDepth, middlewares, timeoutProvider, resources,
                ioThreads, instanceGate);
        final ClientResources res = shared != null ? shared.retain() : ClientResources.create(config);
        try {
            return new KitexClient(config, res);
        } catch (RuntimeException e) {
            res.release();
            throw e;
        }
    }

    private void validate() {
        if (invalid != null) {
            throw new IllegalArgumentException(invalid);
        }
        if (service == null || service.isEmpty()) {
            throw new IllegalArgumentException("service: required");
        }
        if (resolver == null && instances == null) {
            throw new IllegalArgumentException("resolver: a resolver or fixed addresses are required");
        }
        if (instances != null && instances.isEmpty()) {
            throw new IllegalArgumentException("addresses: empty");
        }
        if (rpcTimeout != null && rpcTimeout.isNegative()) {
            throw new IllegalArgumentException("rpcTimeout: " + rpcTimeout + " is negative");
        }
        if (connectTimeout != null && (connectTimeout.isNegative() || connectTimeout.isZero())) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " is not positive");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " is less than 1");
        }
        if (refusedInstanceInitialBackoff.isNegative() || refusedInstanceInitialBackoff.isZero()) {
            throw new IllegalArgumentException("refusedInstanceBackoff: initial " + refusedInstanceInitialBackoff
                    + " (expected: > 0)");
        }
        if (refusedInstanceMaxBackoff.compareTo(refusedInstanceInitialBackoff) < 0) {
            throw new IllegalArgumentException("refusedInstanceBackoff: max " + refusedInstanceMaxBackoff
                    + " (expected: >= initial " + refusedInstanceInitialBackoff + ")");
        }
        if (refusedInstanceMaxBackoff.compareTo(MAX_REFUSED_INSTANCE_BACKOFF) > 0) {
            throw new IllegalArgumentException("refusedInstanceBackoff: max " + refusedInstanceMaxBackoff
                    + " (expected: <= " + MAX_REFUSED_INSTANCE_BACKOFF + ")");
        }
        if (maxIdlePerAddress < 0) {
            throw new IllegalArgumentException("maxIdlePerAddress: " + maxIdlePerAddress + " is negative");
        }
        if (maxIdleGlobal < 0) {
            throw new IllegalArgumentException("maxIdleGlobal: " + maxIdleGlobal + " is negative");
        }
        if (maxIdleTimeout.isNegative() || maxIdleTimeout.isZero()) {
            throw new IllegalArgumentException("maxIdleTimeout: " + maxIdleTimeout + " is not positive");
        }
        if (muxConnections < 0) {
            throw new IllegalArgumentException("multiplexed: " + muxConnections + " connections is negative");
        }
        if (muxConnections > 0 && transport != null && !transport.hasTTHeader()) {
            throw new IllegalArgumentException("transport: multiplexing needs TTHEADER or TTHEADER_FRAMED, not "
                    + transport);
        }
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " is not positive");
        }
        if (maxNestingDepth < 1) {
            throw new IllegalArgumentException("maxNestingDepth: " + maxNestingDepth + " (expected: >= 1)");
        }
        if (ioThreads != null && ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " is less than 1");
        }
        if (shared != null && (ioThreads != null || resources != null)) {
            throw new IllegalArgumentException((ioThreads != null ? "ioThreads" : "resources")
                    + ": a newBuilder() variant shares its parent's resources (expected: unset)");
        }
        if (resources != null && ioThreads != null) {
            throw new IllegalArgumentException("ioThreads: not used with resources(...) (expected: one of them)");
        }
    }

    // Longer than a day would only hide a server that came back; also keeps the nanos in range.
    private static final Duration MAX_REFUSED_INSTANCE_BACKOFF = Duration.ofDays(1);
}
