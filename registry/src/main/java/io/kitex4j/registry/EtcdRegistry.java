package io.kitex4j.registry;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.HostAndPort;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationException;
import io.kitex4j.core.discovery.RegistrationInfo;
import io.kitex4j.core.discovery.RegistrationListener;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.Registry;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.registry.internal.EtcdResources;
import io.kitex4j.registry.internal.RegistrationSettings;
import io.kitex4j.registry.internal.TaskScope;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * (through jetcd's internals), which otherwise grows to two minutes during long outages.
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
 * Thread-safe. All retry loops run on the {@link EtcdConnection}'s scheduler thread (shared with
 * the resolvers on that connection); nothing polls or spins. {@link RegistrationListener}s are called on that thread on every state change.
 * {@link #close()} deregisters every registration (deleting keys, revoking leases), waits for that
 * at most about three call timeouts, and closes the connection if the registry opened it. It is
 * idempotent.
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

    private final EtcdResources etcd;
    private final boolean ownsConnection;
    private final TaskScope loop;
    private final RegistrationSettings settings;
    /** One line per failed start-up attempt, rate-limited over all registrations of this registry. */
    private final RateLimitedLog startupRetries =
            new RateLimitedLog(logger, org.slf4j.event.Level.WARN, "registration_startup_retry");
    private final KeyLayout keyLayout;
    private final List<RegistrationListener> listeners;
    private final Function<String, String> env;
    private final Supplier<List<InetAddress>> interfaceAddresses;
    private final Object lock = new Object();
    private final ConcurrentMap<String, EtcdRegistration> registrations = new ConcurrentHashMap<>();
    private boolean closed; // guarded by lock

    private EtcdRegistry(Builder b, EtcdResources etcd, boolean ownsConnection, RegistrationSettings settings) {
        this.etcd = etcd;
        this.ownsConnection = ownsConnection;
        this.settings = settings;
        this.keyLayout = b.configuredKeyLayout();
        this.listeners = new CopyOnWriteArrayList<>(b.listeners);
        this.env = b.env;
        this.interfaceAddresses = b.interfaceAddresses;
        this.loop = etcd.newScope("registry");
        if (!ownsConnection) {
            etcd.attach(this);
        }
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
        final EtcdRegistration registration = new EtcdRegistration(
                settings, etcd.client(), etcd.config(), loop, listeners, startupRetries,
                r -> registrations.remove(r.key(), r), key, instance);
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
    @Override
    public List<Registration> registrations() {
        return List.copyOf(registrations.values());
    }

    /**
     * Adds a listener for every state change of every registration, current and future, from now
     * on; the same rules as {@link Builder#listener(RegistrationListener)}. For what is built after
     * the registry, such as metrics: it does not hear of changes before it was added, so read
     * {@link #registrations()} after adding it.
     */
    public void addListener(RegistrationListener listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    /** Removes a listener added by {@link #addListener} or the builder; a call already running completes. */
    public void removeListener(RegistrationListener listener) {
        listeners.remove(requireNonNull(listener, "listener"));
    }

    /** Where keys are written. */
    public KeyLayout keyLayout() {
        return keyLayout;
    }

    /** The lease TTL requested from etcd, in seconds (etcd may raise it to its minimum). */
    public long leaseTtlSeconds() {
        return settings.leaseTtlSeconds();
    }

    /** The settings every registration is given; for tests. */
    RegistrationSettings settings() {
        return settings;
    }

    /**
     * Deregisters everything and closes the etcd connection if this registry opened it (a shared
     * {@link EtcdConnection} stays open). Waits at most about three call timeouts for etcd.
     * Idempotent.
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
        final long waitMillis = settings.callTimeout().toMillis() * 3 + 500;
        final CompletableFuture<Void> all = CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
        if (etcd.inSchedulerThread()) {
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
        loop.close();
        if (ownsConnection) {
            etcd.close();
        } else {
            etcd.detach(this);
        }
    }

    @Override
    public String toString() {
        return "EtcdRegistry{etcd=" + settings.etcdDescription() + ", prefix='" + keyLayout.prefix() + "', leaseTtl="
               + settings.leaseTtlSeconds() + "s, registrations=" + registrations.size() + '}';
    }

    /**
     * Builds an {@link EtcdRegistry}. {@link #build()} checks every option and names the one that is
     * wrong.
     */
    public static final class Builder extends AbstractEtcdBuilder<Builder> {
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
         * Checks the options and creates the registry (and, unless a shared
         * {@linkplain #connection(EtcdConnection) connection} was given, its own connection, whose
         * client connects lazily: no etcd call is made here).
         *
         * @throws IllegalArgumentException naming the option and what is wrong with it
         */
        public EtcdRegistry build() {
            final EtcdClientConfig config = etcdConfig();
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
            final EtcdConnection shared = sharedConnection();
            final EtcdResources etcd = shared != null ? EtcdResources.of(shared) : new EtcdResources(config);
            final RegistrationSettings settings = new RegistrationSettings(
                    etcd.description(), config.callTimeout(), config.dialTimeout(), startupTimeout, ttlSeconds,
                    maxAttempts, observeDelay, retryDelay, retryJitter);
            return new EtcdRegistry(this, etcd, shared == null, settings);
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
