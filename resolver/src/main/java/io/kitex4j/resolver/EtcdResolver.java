package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.core.discovery.ServiceWatch;
import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.registry.KeyLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * A {@link Resolver} that reads the instances Kitex and Hertz services register in etcd, and
 * watches them instead of polling.
 *
 * <pre>{@code
 * try (EtcdResolver resolver = EtcdResolver.builder()
 *         .etcd(EtcdClientConfig.of("http://127.0.0.1:2379"))
 *         .build();
 *      ServiceWatch echo = resolver.watch("echo")) {
 *     ResolvedInstances view = echo.firstSync().get(5, TimeUnit.SECONDS);
 *     echo.addListener(update -> System.out.println(update));
 * }
 * }</pre>
 *
 * <h2>What it reads, as Go's registry-etcd resolver</h2>
 * <ul>
 *   <li>Every key under {@code <prefix>/<service>/} (with the trailing slash, so {@code echo} never
 *       sees {@code echo2}), in etcd key order. The prefix is {@code kitex/registry-etcd} unless
 *       set; it is used verbatim, so {@code ""} reads Go's {@code /echo/...} keys.
 *   <li>The address comes from the value's {@code address}, never from the key. Values are decoded
 *       exactly as Go's {@code encoding/json} decodes them ({@link io.kitex4j.registry.InstanceCodec});
 *       a value Go would refuse is skipped with a WARN naming its key, and the others stay.
 *   <li>Unlike Go's resolver, an instance no kitex4j client could dial (no port, port 0 or over
 *       65535, an unbalanced bracket, spaces or control characters, an empty address, a network
 *       other than TCP such as {@code unix}) is skipped the same way, so a client never picks it.
 *       Skipped keys and the reasons are in {@link ResolvedInstances#skipped()}; the decoding is
 *       {@link io.kitex4j.registry.RegistryEntry#decode}, which {@code kitex4j ls} uses too.
 *   <li>A weight &le; 0 reads as the default weight (10, see {@link Builder#defaultWeight(int)}).
 *   <li>Instances are not deduplicated: two keys with the same address give two instances, as in Go.
 * </ul>
 *
 * <h2>What it does better than Go's resolver</h2>
 * Go reads the range every 5 seconds and cannot tell "no instance" from "etcd is down". This
 * resolver reads once and then follows an etcd watch, so changes arrive in milliseconds; it
 * survives etcd restarts, compaction, leader changes and even a wiped etcd (see
 * {@link ServiceWatch} and the states of {@link ResolvedInstances}); and while etcd is unreachable
 * it keeps serving the last known instances, marked {@linkplain ResolvedInstances#isStale() stale}.
 * An empty service is {@link ResolvedInstances.State#NO_INSTANCES} and its list is empty (Go keeps
 * calling the last instances it saw, because its cache cannot tell this case from an error).
 *
 * <h2>Sharing</h2>
 * All {@link #watch(String)} calls for one service share one etcd watch, reference-counted; the
 * sharing is per resolver. Create one resolver per process (or per etcd cluster) and share it.
 *
 * <h2>Threads</h2>
 * One daemon thread per resolver runs every watch's bookkeeping (decoding included); listeners
 * run on the {@linkplain Builder#listenerExecutor(Executor) listener executor}, by default one
 * daemon thread per resolver.
 */
public final class EtcdResolver implements Resolver {

    private static final Logger logger = LoggerFactory.getLogger(EtcdResolver.class);
    private static final AtomicInteger ids = new AtomicInteger();

    final Client client;
    private final boolean ownsClient;
    final KeyLayout keyLayout;
    final boolean emptyIsError;
    final int defaultWeight;
    final Duration callTimeout;
    /** How etcd is reached, to diagnose a failure; {@code null} with a client given to the builder. */
    final EtcdClientConfig etcdConfig;
    final ScheduledExecutorService scheduler;
    final Executor listenerExecutor;
    private final ExecutorService ownedListenerExecutor;

    private final Object lock = new Object();
    private final Map<String, EtcdServiceWatcher> watchers = new HashMap<>(); // guarded by lock
    private boolean closed; // guarded by lock

    /** Keys skipped because their value cannot be read or dialled: one WARN per key, rate-limited. */
    final RateLimitedLog skippedValues = new RateLimitedLog(logger, Level.WARN, "registry_value_skipped");

    /** jetcd watches opened so far, for tests of the sharing. */
    final AtomicLong etcdWatchesStarted = new AtomicLong();

    private EtcdResolver(Builder b) {
        final int id = ids.incrementAndGet();
        if (b.client != null) {
            this.client = b.client;
            this.ownsClient = false;
        } else {
            this.client = b.etcd.newClient();
            this.ownsClient = true;
        }
        this.etcdConfig = b.client != null ? null : b.etcd;
        this.keyLayout = b.keyLayout;
        this.emptyIsError = b.emptyIsError;
        this.defaultWeight = b.defaultWeight;
        this.callTimeout = b.callTimeout != null ? b.callTimeout
                : b.etcd != null ? b.etcd.callTimeout() : EtcdClientConfig.DEFAULT_CALL_TIMEOUT;
        final ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon("kitex4j-resolver-" + id));
        // Cancelled timers are frequent (one per sync); do not let them pile up in the queue.
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
        if (b.listenerExecutor != null) {
            this.listenerExecutor = b.listenerExecutor;
            this.ownedListenerExecutor = null;
        } else {
            this.ownedListenerExecutor =
                    Executors.newSingleThreadExecutor(daemon("kitex4j-resolver-" + id + "-listeners"));
            this.listenerExecutor = ownedListenerExecutor;
        }
        logger.debug("Created resolver {} for {} (prefix '{}')", id, ownsClient ? b.etcd : "a supplied client",
                keyLayout.prefix());
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ServiceWatch watch(String service) {
        final String keyPrefix = keyLayout.servicePrefix(service); // validates the name
        final EtcdServiceWatcher watcher;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("resolver is closed");
            }
            watcher = watchers.computeIfAbsent(service, s -> {
                final EtcdServiceWatcher w = new EtcdServiceWatcher(this, s, keyPrefix);
                w.start();
                return w;
            });
            watcher.refs++;
        }
        return new Handle(watcher);
    }

    @Override
    public void close() {
        final List<EtcdServiceWatcher> toStop;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            toStop = new ArrayList<>(watchers.values());
            watchers.clear();
        }
        toStop.forEach(EtcdServiceWatcher::stop);
        // The stops are queued before the shutdown, so they run.
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(callTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                scheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            scheduler.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (ownsClient) {
            client.close();
        }
        if (ownedListenerExecutor != null) {
            ownedListenerExecutor.shutdown();
        }
    }

    /** The prefix and layout this resolver reads. */
    public KeyLayout keyLayout() {
        return keyLayout;
    }

    /** Services watched right now, for tests of the sharing. */
    int watchedServiceCount() {
        synchronized (lock) {
            return watchers.size();
        }
    }

    private void release(EtcdServiceWatcher watcher) {
        synchronized (lock) {
            if (--watcher.refs > 0 || closed) {
                return;
            }
            watchers.remove(watcher.service, watcher);
        }
        watcher.stop();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            final Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** One reference to a shared {@link EtcdServiceWatcher}. */
    private final class Handle implements ServiceWatch {
        private final EtcdServiceWatcher watcher;
        private final CompletableFuture<ResolvedInstances> firstSync = new CompletableFuture<>();
        private final List<EtcdServiceWatcher.Registration> registrations = new ArrayList<>(); // guarded by this
        private boolean closed; // guarded by this

        Handle(EtcdServiceWatcher watcher) {
            this.watcher = watcher;
            // Complete on the listener executor so that the caller's dependent actions never run
            // on the resolver's own thread.
            watcher.firstSync.whenComplete((view, error) -> {
                try {
                    listenerExecutor.execute(() -> completeFirstSync(view, error));
                } catch (RuntimeException e) {
                    completeFirstSync(view, error);
                }
            });
        }

        private void completeFirstSync(ResolvedInstances view, Throwable error) {
            if (error != null) {
                firstSync.cancel(false);
            } else {
                firstSync.complete(view);
            }
        }

        @Override
        public String service() {
            return watcher.service;
        }

        @Override
        public ResolvedInstances snapshot() {
            return watcher.current();
        }

        @Override
        public CompletableFuture<ResolvedInstances> firstSync() {
            return firstSync;
        }

        @Override
        public void addListener(ResolverListener listener) {
            requireNonNull(listener, "listener");
            final EtcdServiceWatcher.Registration reg = new EtcdServiceWatcher.Registration(listener);
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("watch of " + watcher.service + " is closed");
                }
                registrations.add(reg);
            }
            watcher.addListener(reg);
        }

        @Override
        public void removeListener(ResolverListener listener) {
            requireNonNull(listener, "listener");
            final List<EtcdServiceWatcher.Registration> removed = new ArrayList<>();
            synchronized (this) {
                registrations.removeIf(r -> {
                    if (r.listener == listener) {
                        removed.add(r);
                        return true;
                    }
                    return false;
                });
            }
            removed.forEach(watcher::removeListener);
        }

        @Override
        public void close() {
            final List<EtcdServiceWatcher.Registration> removed;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                removed = new ArrayList<>(registrations);
                registrations.clear();
            }
            removed.forEach(watcher::removeListener);
            firstSync.completeExceptionally(new CancellationException("watch of " + watcher.service + " closed"));
            release(watcher);
        }

        @Override
        public String toString() {
            return "ServiceWatch{" + watcher.current() + '}';
        }
    }

    /**
     * Builds an {@link EtcdResolver}. Set exactly one of {@link #etcd(EtcdClientConfig)} and
     * {@link #client(Client)}.
     */
    public static final class Builder {
        private EtcdClientConfig etcd;
        private Client client;
        private KeyLayout keyLayout = KeyLayout.kitex();
        private boolean emptyIsError = true;
        private int defaultWeight = Instance.DEFAULT_WEIGHT;
        private Executor listenerExecutor;
        private Duration callTimeout;

        private Builder() {}

        /**
         * Connect with this config. The resolver creates its own client and closes it on
         * {@link EtcdResolver#close()}; the call timeout defaults to the config's.
         */
        public Builder etcd(EtcdClientConfig etcd) {
            this.etcd = requireNonNull(etcd, "etcd");
            return this;
        }

        /**
         * Use an existing jetcd client, for example the one the registry uses. The resolver does
         * not close it. It must keep jetcd's default {@code waitForReady(true)}, or reads fail at
         * once while etcd is down and are retried with backoff instead of answering the moment
         * etcd is back.
         */
        public Builder client(Client client) {
            this.client = requireNonNull(client, "client");
            return this;
        }

        /** Where to read; default {@link KeyLayout#kitex()} ({@code kitex/registry-etcd}). */
        public Builder keyLayout(KeyLayout keyLayout) {
            this.keyLayout = requireNonNull(keyLayout, "keyLayout");
            return this;
        }

        /**
         * Read under this prefix, verbatim (registry-etcd's {@code WithEtcdServicePrefix}): for
         * example {@code "etcd/v1"}, or {@code ""} for Go's {@code /<service>/...} keys.
         */
        public Builder prefix(String prefix) {
            return keyLayout(KeyLayout.withPrefix(requireNonNull(prefix, "prefix")));
        }

        /**
         * Read services registered by Hertz's etcd registry: prefix {@code hertz/registry-etcd},
         * and, as Hertz's resolver returns an empty list without an error, a service with no
         * instance is {@link ResolvedInstances.State#OK} with an empty list rather than
         * {@link ResolvedInstances.State#NO_INSTANCES}. Values (written by sonic, keys unsorted,
         * no HTML escaping) and bracketed IPv6 addresses need nothing special.
         */
        public Builder hertzMode() {
            this.keyLayout = KeyLayout.hertz();
            this.emptyIsError = false;
            return this;
        }

        /**
         * The weight that replaces a weight &le; 0 (registry-etcd's {@code WithDefaultWeight});
         * default 10. A value &le; 0 leaves such weights as they are, as in Go, so that load
         * balancers skip those instances.
         */
        public Builder defaultWeight(int defaultWeight) {
            this.defaultWeight = defaultWeight;
            return this;
        }

        /**
         * Where listeners and {@link ServiceWatch#firstSync()} dependents run; default one daemon
         * thread per resolver. Calls for one service stay ordered whatever executor is given. The
         * resolver does not shut it down.
         */
        public Builder listenerExecutor(Executor listenerExecutor) {
            this.listenerExecutor = requireNonNull(listenerExecutor, "listenerExecutor");
            return this;
        }

        /**
         * How long a read may take before the view is reported
         * {@link ResolvedInstances.State#UNREACHABLE}; default the etcd config's call timeout, else
         * 3 s.
         */
        public Builder callTimeout(Duration callTimeout) {
            requireNonNull(callTimeout, "callTimeout");
            if (callTimeout.isZero() || callTimeout.isNegative()) {
                throw new IllegalArgumentException("callTimeout: must be positive, got " + callTimeout);
            }
            this.callTimeout = callTimeout;
            return this;
        }

        /**
         * Builds the resolver; with {@link #etcd(EtcdClientConfig)}, this creates its client (which
         * connects lazily).
         *
         * @throws IllegalStateException if neither or both of {@code etcd} and {@code client} are set
         */
        public EtcdResolver build() {
            if ((etcd == null) == (client == null)) {
                throw new IllegalStateException("set exactly one of etcd(EtcdClientConfig) and client(Client)");
            }
            return new EtcdResolver(this);
        }
    }
}
