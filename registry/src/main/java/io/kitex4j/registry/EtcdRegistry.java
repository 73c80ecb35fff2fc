package io.kitex4j.registry;

import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationListener;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.Registry;
import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.kitex4j.core.internal.log.RateLimitedLog;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Registry} that writes Kitex instances to etcd exactly as Go's
 * {@code kitex-contrib/registry-etcd} does, and keeps them there through lease loss, etcd restarts
 * and outages.
 *
 * <pre>{@code
 * try (EtcdRegistry registry = EtcdRegistry.builder()
 *         .etcd(EtcdClientConfig.of("http://127.0.0.1:2379"))
 *         .build()) {
 *     Registration r = registry.register(RegistrationInfo.of("echo", ":8888")).join();
 *     ...
 * }   // close() deregisters
 * }</pre>
 *
 * <h2>What is written</h2>
 * <ul>
 *   <li>Key {@code <prefix>/<service>/<host>:<port>} ({@link KeyLayout}; default prefix
 *       {@code kitex/registry-etcd}); value {@code {"network":"tcp","address":"<host>:<port>","weight":N,"tags":...}}
 *       ({@link InstanceCodec}), byte for byte as Go writes it.</li>
 *   <li>Weight 0 is written as 10, as a Kitex server does; negative weights are written as given.</li>
 *   <li>Address: the listen address of {@link RegistrationInfo}, except that
 *       <ul>
 *         <li>a wildcard host (empty, {@code ::}, <b>or {@code 0.0.0.0}</b>) becomes the first
 *             non-loopback IPv4 address of this host, in interface order;</li>
 *         <li>a non-empty {@code KITEX_IP_TO_REGISTRY} replaces the host and a non-empty
 *             {@code KITEX_PORT_TO_REGISTRY} (parsed as Go's {@code strconv.Atoi}) the port.</li>
 *       </ul></li>
 *   <li>IPv6 hosts are written in brackets, {@code [fd00::1]:8888}, in both key and value.</li>
 * </ul>
 *
 * <h2>Deliberate differences from Go's registry-etcd</h2>
 * <ul>
 *   <li>{@code 0.0.0.0} is replaced like {@code ::}. Go registers {@code 0.0.0.0:port} verbatim,
 *       which no client on another host can dial.</li>
 *   <li>IPv6 is bracketed. Go writes {@code fd00::1:8888}, which Go's own dialer rejects; every
 *       reader, Go's and kitex4j's, reads the bracketed form.</li>
 *   <li>{@code KITEX_IP_TO_REGISTRY} is applied before looking for a local IPv4 address, so a host
 *       with none can still register with the override (Go fails there).</li>
 *   <li>Port 0 and ports over 65535 are refused instead of being registered.</li>
 *   <li>Registration never gives up by default ({@code maxAttempts} 0; Go: 5), the lease is
 *       re-granted as soon as its keepalive reports it lost (Go's keepalive just stops, and the
 *       instance vanishes until restart), and the periodic check also requires the key to be under
 *       our lease with our value (Go only checks that the key exists).</li>
 *   <li>Leases replaced or left behind by a failed attempt are revoked, and deregistration revokes
 *       the lease too (Go leaves them to expire).</li>
 *   <li>Deregistration deletes exactly the key that was put (Go recomputes it, and deletes the
 *       wrong key when {@code SetFixedAddress} is used).</li>
 *   <li>A registry serves any number of registrations, each with its own lease (Go's registry
 *       "should not be reused").</li>
 * </ul>
 *
 * <h2>Lease and keepalive</h2>
 * Each registration grants its own lease of {@link Builder#leaseTtl leaseTtl} (default 60 s, or
 * {@code KITEX_ETCD_REGISTRY_LEASE_TTL} when it parses as an integer and no TTL was set on the
 * builder) and puts the key under it. jetcd keeps the lease alive over one gRPC stream, sending a
 * request every third of the TTL that etcd granted and reopening the stream after errors. When etcd
 * says the lease is gone, or gives no answer within the TTL, the registration grants a new lease
 * and puts the key again at once. Every etcd call is bounded by
 * {@link EtcdClientConfig#callTimeout()}.
 *
 * <h2>Checks and retries</h2>
 * Every {@code observeDelay} (default 30 s) the key is read back: it must exist, be under the
 * current lease and hold our value, and the keepalive must have had an answer within the TTL;
 * otherwise it is put again under a new lease (the state goes {@code RETRYING} then
 * {@code REGISTERED}). After a failed etcd call the next attempt comes after {@code retryDelay}
 * (default 10 s) &plusmn; {@code retryJitter} (default 20%). With {@code maxAttempts} &gt; 0, that
 * many consecutive failed calls end the registration in {@link RegistrationState#FAILED}; with the
 * default 0 it never gives up. So after an etcd outage or a restart (with or without its data)
 * the registration is back within about {@code retryDelay} of etcd answering again: before each
 * retry after an "unreachable" error the registry resets the gRPC channel's reconnect backoff
 * ({@link EtcdChannels}), which otherwise grows to two minutes during long outages.
 *
 * <h2>The register() future</h2>
 * {@link #register} validates and resolves the address synchronously: a bad address, a key
 * already registered through this registry, or a closed registry give a failed future and no
 * background work. Otherwise it starts the registration and returns a future that
 * <ul>
 *   <li>completes with the {@link Registration} once the key is in etcd, or</li>
 *   <li>fails with a {@link RegistrationException} when the key is not in etcd within the
 *       {@linkplain Builder#startupTimeout(Duration) start-up timeout} (default 30 s), with the cause in
 *       one line, e.g. {@code etcd at [http://10.0.0.1:2379] unreachable: ...; not registered within
 *       the start-up timeout of 30 s}. Until then a failed or unanswered attempt is retried after a
 *       short backoff (200 ms doubling up to 2 s, or {@code retryDelay} if shorter, with jitter), and
 *       each retry logs one WARN line (rate-limited) saying what it waits for and why. So many
 *       services started at once on a busy machine all register, where one attempt bounded by the
 *       dial timeout would fail most of them. When etcd has not answered after a second (a quarter
 *       of the dial timeout if less), the connection is diagnosed
 *       ({@link EtcdClientConfig#diagnose(Throwable)}): a cause that retrying cannot cure (TLS,
 *       authentication, permission), like reaching {@code maxAttempts}, fails the future at once,
 *       e.g. {@code cannot register <key>: etcd at https://10.0.0.1:2379: TLS: etcd's certificate is
 *       not trusted (...)}, and the exception's cause is then an {@link EtcdAccessException} whose
 *       {@link EtcdAccessException#isPermanent() isPermanent()} is true. The exception's
 *       {@link RegistrationException#registration() registration()} is the live handle: it keeps
 *       retrying in the background and becomes {@code REGISTERED} when etcd answers (listeners
 *       see it). Deregister it, or close the registry, to stop it.</li>
 * </ul>
 * This way a server may choose to fail its start-up (as a Go Kitex server does) or to start and
 * let the registration catch up.
 *
 * <h2>Threads, listeners, closing</h2>
 * Thread-safe. All retry loops run on one daemon scheduler thread per registry; nothing polls or
 * spins. {@link RegistrationListener}s are called on that thread on every state change.
 * {@link #close()} deregisters every registration (deleting keys, revoking leases), waits for that
 * at most about three call timeouts, closes the etcd client if the registry created it, and stops
 * the thread. It is idempotent.
 */
public final class EtcdRegistry implements Registry {

    private static final Logger logger = LoggerFactory.getLogger(EtcdRegistry.class);

    /** registry-etcd's default lease TTL. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(60);

    /** registry-etcd's default time between checks of a registered key. */
    public static final Duration DEFAULT_OBSERVE_DELAY = Duration.ofSeconds(30);

    /** registry-etcd's default time between attempts after a failure. */
    public static final Duration DEFAULT_RETRY_DELAY = Duration.ofSeconds(10);

    /**
     * Default {@link Builder#startupTimeout(Duration)}: 30 s, long enough for a busy machine where
     * many services (and JVMs) start at once, short enough for a deployment to notice a real fault.
     */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(30);

    /** Default spread of retry delays: &plusmn;20%, so that instances restarted together do not retry in step. */
    public static final double DEFAULT_RETRY_JITTER = 0.2;

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final Client client;
    private final boolean ownsClient;
    /** How etcd is reached, for diagnosing failures; {@code null} with a shared client and no config. */
    final EtcdClientConfig config;
    final String etcdDescription;
    final Duration callTimeout;
    /** When the first attempt is diagnosed ({@link EtcdRegistration#probeDelay}). */
    final Duration dialTimeout;
    final Duration startupTimeout;
    /** One line per failed start-up attempt, rate-limited over all registrations of this registry. */
    final RateLimitedLog startupRetries =
            new RateLimitedLog(logger, org.slf4j.event.Level.WARN, "registration_startup_retry");
    private final KeyLayout keyLayout;
    final long leaseTtlSeconds;
    final int maxAttempts;
    final Duration observeDelay;
    final Duration retryDelay;
    private final double retryJitter;
    private final List<RegistrationListener> listeners;
    private final Function<String, String> env;
    private final Supplier<List<InetAddress>> interfaceAddresses;
    private final ScheduledThreadPoolExecutor scheduler;
    private final Executor loop;
    private final Object lock = new Object();
    private final ConcurrentMap<String, EtcdRegistration> registrations = new ConcurrentHashMap<>();
    private volatile Thread schedulerThread;
    private boolean closed; // guarded by lock

    private EtcdRegistry(Builder b, EtcdClientConfig config, Client client, boolean ownsClient, long ttlSeconds) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.config = config;
        this.etcdDescription = config != null
                ? config.endpoints().stream().map(Object::toString).toList().toString()
                : "[shared client]";
        this.callTimeout = config != null ? config.callTimeout() : EtcdClientConfig.DEFAULT_CALL_TIMEOUT;
        this.dialTimeout = config != null ? config.dialTimeout() : EtcdClientConfig.DEFAULT_DIAL_TIMEOUT;
        this.startupTimeout = b.startupTimeout;
        this.keyLayout = b.keyLayout;
        this.leaseTtlSeconds = ttlSeconds;
        this.maxAttempts = b.maxAttempts;
        this.observeDelay = b.observeDelay;
        this.retryDelay = b.retryDelay;
        this.retryJitter = b.retryJitter;
        this.listeners = List.copyOf(b.listeners);
        this.env = b.env;
        this.interfaceAddresses = b.interfaceAddresses;
        final int id = THREAD_IDS.incrementAndGet();
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            final Thread t = new Thread(r, "kitex4j-etcd-registry-" + id);
            t.setDaemon(true);
            schedulerThread = t;
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.loop = this::execute;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Registers {@code info} and keeps it registered; see the class documentation for the future's
     * rules.
     */
    @Override
    public CompletableFuture<Registration> register(RegistrationInfo info) {
        requireNonNull(info, "info");
        final HostAndPort address;
        final String key;
        try {
            address = Addresses.registeredAddress(info.address(), env, interfaceAddresses);
            key = keyLayout.serviceKey(info.service(), address.toString());
        } catch (IllegalArgumentException | IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
        final int weight = info.weight() == 0 ? Instance.DEFAULT_WEIGHT : info.weight();
        final Instance instance = Instance.of(address.toString(), weight, info.tags());
        final EtcdRegistration registration = new EtcdRegistration(this, key, instance);
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the registry is closed"));
            }
            final EtcdRegistration existing = registrations.putIfAbsent(key, registration);
            if (existing != null) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "key " + key + " is already registered by this registry (" + existing.state()
                        + "); deregister it first"));
            }
        }
        return registration.start();
    }

    /** The registrations not yet deregistered, in no particular order. */
    public List<Registration> registrations() {
        return List.copyOf(registrations.values());
    }

    /** Where keys are written. */
    public KeyLayout keyLayout() {
        return keyLayout;
    }

    /** The lease TTL requested from etcd, in seconds (etcd may raise it to its minimum). */
    public long leaseTtlSeconds() {
        return leaseTtlSeconds;
    }

    /**
     * Deregisters everything, closes the etcd client if this registry created it, and stops the
     * scheduler thread. Waits at most about three call timeouts for etcd. Idempotent.
     */
    @Override
    public void close() {
        final List<EtcdRegistration> snapshot;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            snapshot = new ArrayList<>(registrations.values());
        }
        final List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (EtcdRegistration r : snapshot) {
            pending.add(r.deregister().handle((v, e) -> null));
        }
        // In flight: grant + put (two call timeouts); then delete and revoke in parallel (one).
        final long waitMillis = callTimeout.toMillis() * 3 + 500;
        final CompletableFuture<Void> all = CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
        if (Thread.currentThread() == schedulerThread) {
            // Called from a listener: waiting here would block the very thread the deregistrations need.
            all.orTimeout(waitMillis, TimeUnit.MILLISECONDS).whenComplete((v, e) -> release());
            return;
        }
        try {
            all.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            logger.warn("etcd did not confirm every deregistration within {} ms; the leases expire by themselves",
                        waitMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Each deregistration logs its own failure.
        }
        release();
    }

    private void release() {
        if (ownsClient) {
            client.close();
        }
        scheduler.shutdownNow();
    }

    @Override
    public String toString() {
        return "EtcdRegistry{etcd=" + etcdDescription + ", prefix='" + keyLayout.prefix() + "', leaseTtl="
               + leaseTtlSeconds + "s, registrations=" + registrations.size() + '}';
    }

    // ---- used by EtcdRegistration ----

    Client client() {
        return client;
    }

    KV kv() {
        return client.getKVClient();
    }

    Lease lease() {
        return client.getLeaseClient();
    }

    Executor loop() {
        return loop;
    }

    /** Runs {@code task} on the scheduler thread; false if the registry has shut it down. */
    boolean execute(Runnable task) {
        try {
            scheduler.execute(guarded(task));
            return true;
        } catch (RejectedExecutionException e) {
            logger.debug("registry closed, dropping a task");
            return false;
        }
    }

    ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return scheduler.schedule(guarded(task), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            logger.debug("registry closed, dropping a scheduled task");
            return null;
        }
    }

    private static Runnable guarded(Runnable task) {
        // The executor would swallow an exception into a future nobody reads.
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                logger.error("unexpected error in the registry loop", t);
            }
        };
    }

    /** {@code f} bounded by the call timeout, failing with a TimeoutException that names {@code what}. */
    <T> CompletableFuture<T> timed(CompletableFuture<T> f, String what) {
        return timed(f, what, callTimeout);
    }

    /** {@code f} bounded by {@code timeout}, failing with a TimeoutException that names {@code what}. */
    <T> CompletableFuture<T> timed(CompletableFuture<T> f, String what, Duration timeout) {
        return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((r, e) -> {
            if (e == null) {
                return r;
            }
            final Throwable cause = EtcdRegistration.unwrap(e);
            if (cause instanceof TimeoutException && cause.getMessage() == null) {
                throw new CompletionException(new TimeoutException(what + ": no answer within " + format(timeout)));
            }
            throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        });
    }

    Duration jittered(Duration delay) {
        if (retryJitter == 0) {
            return delay;
        }
        final double factor = 1 + retryJitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        return Duration.ofNanos((long) (delay.toNanos() * factor));
    }

    void notifyListeners(Registration r, RegistrationState from, RegistrationState to, Throwable cause) {
        for (RegistrationListener l : listeners) {
            try {
                l.onStateChanged(r, from, to, cause);
            } catch (Throwable t) {
                logger.warn("registration listener {} threw", l, t);
            }
        }
    }

    void removed(EtcdRegistration r) {
        registrations.remove(r.key(), r);
    }

    static String format(Duration d) {
        final long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /**
     * Builds an {@link EtcdRegistry}. {@link #build()} checks every option and names the one that is
     * wrong.
     */
    public static final class Builder {
        private EtcdClientConfig etcd;
        private final List<String> endpoints = new ArrayList<>();
        private Client client;
        private KeyLayout keyLayout = KeyLayout.kitex();
        private Duration leaseTtl;
        private int maxAttempts;
        private Duration observeDelay = DEFAULT_OBSERVE_DELAY;
        private Duration retryDelay = DEFAULT_RETRY_DELAY;
        private double retryJitter = DEFAULT_RETRY_JITTER;
        private Duration startupTimeout = DEFAULT_STARTUP_TIMEOUT;
        private final List<RegistrationListener> listeners = new ArrayList<>();
        private Function<String, String> env = System::getenv;
        private Supplier<List<InetAddress>> interfaceAddresses = Addresses::systemInterfaceAddresses;

        private Builder() {}

        /**
         * How to reach etcd. With {@link #client(Client)} too, only its timeouts and endpoints (for
         * messages) are used.
         */
        public Builder etcd(EtcdClientConfig etcd) {
            this.etcd = requireNonNull(etcd, "etcd");
            return this;
        }

        /** Plaintext etcd endpoints with default timeouts; shorthand for {@link #etcd(EtcdClientConfig)}. */
        public Builder endpoints(String... endpoints) {
            requireNonNull(endpoints, "endpoints");
            return endpoints(List.of(endpoints));
        }

        /** Plaintext etcd endpoints with default timeouts; shorthand for {@link #etcd(EtcdClientConfig)}. */
        public Builder endpoints(List<String> endpoints) {
            requireNonNull(endpoints, "endpoints");
            endpoints.forEach(e -> this.endpoints.add(requireNonNull(e, "endpoint")));
            return this;
        }

        /**
         * An existing jetcd client to share, e.g. with a resolver. The registry does not close it;
         * closing it before the registry breaks the registrations.
         */
        public Builder client(Client client) {
            this.client = requireNonNull(client, "client");
            return this;
        }

        /** Where keys go; default {@link KeyLayout#kitex()}. */
        public Builder keyLayout(KeyLayout keyLayout) {
            this.keyLayout = requireNonNull(keyLayout, "keyLayout");
            return this;
        }

        /** The key prefix, verbatim (registry-etcd's {@code WithEtcdServicePrefix}); default {@code kitex/registry-etcd}. */
        public Builder prefix(String prefix) {
            return keyLayout(KeyLayout.withPrefix(requireNonNull(prefix, "prefix")));
        }

        /**
         * The lease TTL, a whole number of seconds, at least 1. If not set: the integer in
         * {@code KITEX_ETCD_REGISTRY_LEASE_TTL} when it parses as Go's {@code strconv.Atoi} does
         * (used unchecked, as Go uses it; etcd raises too small values to its minimum), else 60 s.
         * A crashed instance stays visible for up to this long.
         */
        public Builder leaseTtl(Duration leaseTtl) {
            this.leaseTtl = requireNonNull(leaseTtl, "leaseTtl");
            return this;
        }

        /**
         * Consecutive failed attempts after which a registration gives up ({@link RegistrationState#FAILED});
         * 0 (the default) retries forever. Go's default is 5.
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Time between checks that a registered key is still in place; default 30 s. */
        public Builder observeDelay(Duration observeDelay) {
            this.observeDelay = requireNonNull(observeDelay, "observeDelay");
            return this;
        }

        /** Time between attempts after a failure, before jitter; default 10 s. */
        public Builder retryDelay(Duration retryDelay) {
            this.retryDelay = requireNonNull(retryDelay, "retryDelay");
            return this;
        }

        /** Spread of retry delays as a fraction, in [0, 1): 0.2 (default) means &plusmn;20%. */
        public Builder retryJitter(double retryJitter) {
            this.retryJitter = retryJitter;
            return this;
        }

        /**
         * How long {@link EtcdRegistry#register register()}'s future waits for the first
         * registration, retrying failed attempts with a short backoff, before it fails; default
         * {@link #DEFAULT_STARTUP_TIMEOUT 30 s}. The registration itself keeps trying after that
         * (see the class documentation). Must be positive.
         */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = requireNonNull(startupTimeout, "startupTimeout");
            return this;
        }

        /** Adds a listener for every registration's state changes. */
        public Builder listener(RegistrationListener listener) {
            listeners.add(requireNonNull(listener, "listener"));
            return this;
        }

        /** Adds listeners. */
        public Builder listeners(Iterable<? extends RegistrationListener> listeners) {
            requireNonNull(listeners, "listeners");
            listeners.forEach(this::listener);
            return this;
        }

        /**
         * Where the {@code KITEX_IP_TO_REGISTRY}, {@code KITEX_PORT_TO_REGISTRY} and
         * {@code KITEX_ETCD_REGISTRY_LEASE_TTL} variables are read; default {@code System::getenv}.
         * The function returns {@code null} for an unset variable.
         */
        public Builder env(Function<String, String> env) {
            this.env = requireNonNull(env, "env");
            return this;
        }

        /** Test hook: the interface addresses a wildcard host is replaced from, in interface order. */
        Builder interfaceAddresses(Supplier<List<InetAddress>> interfaceAddresses) {
            this.interfaceAddresses = requireNonNull(interfaceAddresses, "interfaceAddresses");
            return this;
        }

        /**
         * Checks the options and creates the registry (and, unless one was given, its etcd client,
         * which connects lazily: no etcd call is made here).
         *
         * @throws IllegalArgumentException naming the option and what is wrong with it
         */
        public EtcdRegistry build() {
            if (etcd != null && !endpoints.isEmpty()) {
                throw new IllegalArgumentException("endpoints: set either etcd(EtcdClientConfig) or endpoints(...), not both");
            }
            EtcdClientConfig config = etcd;
            if (config == null && !endpoints.isEmpty()) {
                config = EtcdClientConfig.builder().endpoints(endpoints).build();
            }
            if (config == null && client == null) {
                throw new IllegalArgumentException("etcd: required; set etcd(EtcdClientConfig), endpoints(...) or client(Client)");
            }
            if (maxAttempts < 0) {
                throw new IllegalArgumentException("maxAttempts: must be >= 0 (0 retries forever), got " + maxAttempts);
            }
            positive(observeDelay, "observeDelay");
            if (startupTimeout.isZero() || startupTimeout.isNegative()) {
                throw new IllegalArgumentException("startupTimeout: " + startupTimeout + " (expected: > 0)");
            }
            positive(retryDelay, "retryDelay");
            if (!(retryJitter >= 0 && retryJitter < 1)) {
                throw new IllegalArgumentException("retryJitter: must be in [0, 1), got " + retryJitter);
            }
            final long ttlSeconds;
            if (leaseTtl != null) {
                positive(leaseTtl, "leaseTtl");
                if (leaseTtl.getNano() != 0) {
                    throw new IllegalArgumentException(
                            "leaseTtl: must be a whole number of seconds (etcd leases count seconds), got " + leaseTtl);
                }
                ttlSeconds = leaseTtl.getSeconds();
            } else {
                ttlSeconds = ttlFromEnv(env);
            }
            final boolean owns = client == null;
            final Client c = owns ? config.newClient() : client;
            return new EtcdRegistry(this, config, c, owns, ttlSeconds);
        }

        private static long ttlFromEnv(Function<String, String> env) {
            final String text = env.apply(Addresses.TTL_ENV);
            if (text == null) {
                return DEFAULT_LEASE_TTL.getSeconds();
            }
            final Long ttl = Addresses.goAtoi(text);
            if (ttl == null) {
                logger.warn("{}='{}' is not an integer; using the default lease TTL of {} s",
                            Addresses.TTL_ENV, text, DEFAULT_LEASE_TTL.getSeconds());
                return DEFAULT_LEASE_TTL.getSeconds();
            }
            if (ttl <= 0) {
                logger.warn("{}={}: etcd will grant its minimum lease TTL instead", Addresses.TTL_ENV, ttl);
            }
            return ttl;
        }

        private static void positive(Duration d, String option) {
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(option + ": must be positive, got " + d);
            }
        }
    }
}
