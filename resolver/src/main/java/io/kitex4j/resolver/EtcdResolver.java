package io.kitex4j.resolver;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.registry.AbstractEtcdBuilder;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdConnection;
import io.kitex4j.registry.KeyLayout;
import io.kitex4j.registry.internal.EtcdResources;
import io.kitex4j.registry.internal.TaskScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * sharing is per resolver. Create one resolver per process (or per etcd cluster) and share it. A
 * process that also registers builds its registry and its resolver on one {@link EtcdConnection},
 * so that both use one jetcd client and one set of threads.
 *
 * <h2>Threads</h2>
 * The connection's scheduler thread runs every watch's bookkeeping (decoding included); listeners
 * run on the {@linkplain Builder#listenerExecutor(Executor) listener executor}, by default the
 * connection's listener thread. Calls for one service stay ordered on any executor.
 */
public final class EtcdResolver implements Resolver {

    private static final Logger logger = LoggerFactory.getLogger(EtcdResolver.class);
    private final EtcdResources etcd;
    private final boolean ownsConnection;
    private final TaskScope loop;
    private final KeyLayout keyLayout;
    private final Duration callTimeout;
    private final Executor listenerExecutor;
    private final WatcherContext watcherContext;

    private final Object lock = new Object();
    private final Map<String, EtcdServiceWatcher> watchers = new HashMap<>(); // guarded by lock
    private boolean closed; // guarded by lock

    /** jetcd watches opened so far, for tests of the sharing. */
    final AtomicLong etcdWatchesStarted = new AtomicLong();
    private final ConcurrentMap<String, AtomicLong> reconnects = new ConcurrentHashMap<>();
    private final List<ResolverListener> resolverListeners = new CopyOnWriteArrayList<>();

    private EtcdResolver(Builder b, KeyLayout keyLayout, EtcdResources etcd, boolean ownsConnection,
                         Duration callTimeout) {
        this.etcd = etcd;
        this.ownsConnection = ownsConnection;
        this.loop = etcd.newScope("resolver");
        this.keyLayout = keyLayout;
        this.callTimeout = callTimeout;
        this.listenerExecutor = b.listenerExecutor != null ? b.listenerExecutor : etcd.listenerExecutor();
        // Keys skipped because their value cannot be read or dialled: one WARN per key, rate-limited.
        final RateLimitedLog skippedValues = new RateLimitedLog(logger, Level.WARN, "registry_value_skipped");
        this.watcherContext = new WatcherContext(etcd.client(), etcd.config(), loop, listenerExecutor, callTimeout,
                b.emptyIsError, b.defaultWeight, skippedValues, etcdWatchesStarted, reconnects, resolverListeners);
        if (!ownsConnection) {
            etcd.attach(this);
        }
        logger.debug("Created resolver for {} (prefix '{}'{})", etcd.description(), keyLayout.prefix(),
                ownsConnection ? "" : ", shared connection");
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
                final EtcdServiceWatcher w = new EtcdServiceWatcher(watcherContext, s, keyPrefix);
                w.start();
                return w;
            });
            watcher.refs++;
        }
        return new Handle(watcher);
    }

    /**
     * Stops every watch and closes the etcd connection if this resolver opened it (a shared
     * {@link EtcdConnection} stays open). Idempotent.
     */
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
        if (etcd.inSchedulerThread()) {
            // Called from a registration listener: the watches are ours to stop right here.
            toStop.forEach(EtcdServiceWatcher::stopNow);
        } else {
            toStop.forEach(EtcdServiceWatcher::stop);
            // The stops run before this, in order; wait for them, so that no watch outlives close().
            final CompletableFuture<Void> stopped = new CompletableFuture<>();
            if (loop.execute(() -> stopped.complete(null))) {
                try {
                    stopped.get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (TimeoutException | ExecutionException e) {
                    logger.debug("the watches did not stop within {} ms", callTimeout.toMillis());
                }
            }
        }
        loop.close();
        if (ownsConnection) {
            etcd.close();
        } else {
            etcd.detach(this);
        }
    }

    /** The current view of every service watched right now, sorted by service name. */
    @Override
    public List<ResolvedInstances> views() {
        final List<ResolvedInstances> views = new ArrayList<>();
        synchronized (lock) {
            watchers.values().forEach(w -> views.add(w.current()));
        }
        views.sort(java.util.Comparator.comparing(ResolvedInstances::service));
        return List.copyOf(views);
    }

    /**
     * The current view of {@code service}, or {@code null} if this resolver does not watch it: one entry of
     * {@link #views()} without building the list, for what reads one service often (metrics gauges).
     */
    public ResolvedInstances view(String service) {
        requireNonNull(service, "service");
        synchronized (lock) {
            final EtcdServiceWatcher w = watchers.get(service);
            return w == null ? null : w.current();
        }
    }

    /**
     * How many times the etcd watch of {@code service} ended and the resolver read the service again
     * (see {@link EtcdServiceWatcher}: etcd stopped or unreachable, leader lost, the watch's revision
     * compacted, etcd not confirming a new watch in time). Counted over the resolver's life, across
     * the service's watches being closed and opened again; 0 for a service never watched. One etcd
     * outage usually counts once: the resolver then waits for etcd with a read, not with new watches.
     */
    public long watchReconnects(String service) {
        requireNonNull(service, "service");
        final AtomicLong n = reconnects.get(service);
        return n == null ? 0 : n.get();
    }

    /**
     * Adds a listener for every update of every service this resolver watches, now and later, with
     * the rules of {@link ResolverListener} except that it gets no initial update for a service
     * already synced: read {@link #views()} after adding it. For what is built after the resolver,
     * such as metrics.
     */
    public void addListener(ResolverListener listener) {
        resolverListeners.add(requireNonNull(listener, "listener"));
    }

    /** Removes a listener added by {@link #addListener}; a call already running completes. */
    public void removeListener(ResolverListener listener) {
        resolverListeners.remove(requireNonNull(listener, "listener"));
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
     * Builds an {@link EtcdResolver}. Set exactly one of {@link #connection(EtcdConnection)},
     * {@link #etcd(EtcdClientConfig)} and {@link #endpoints(String...)}.
     */
    public static final class Builder extends AbstractEtcdBuilder<Builder> {
        private boolean emptyIsError = true;
        private int defaultWeight = Instance.DEFAULT_WEIGHT;
        private Executor listenerExecutor;
        private Duration callTimeout;

        private Builder() {}

        /**
         * Read services registered by Hertz's etcd registry: prefix {@code hertz/registry-etcd},
         * and, as Hertz's resolver returns an empty list without an error, a service with no
         * instance is {@link ResolvedInstances.State#OK} with an empty list rather than
         * {@link ResolvedInstances.State#NO_INSTANCES}. Values (written by sonic, keys unsorted,
         * no HTML escaping) and bracketed IPv6 addresses need nothing special.
         */
        public Builder hertzMode() {
            this.emptyIsError = false;
            return keyLayout(KeyLayout.hertz());
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
         * Where listeners and {@link ServiceWatch#firstSync()} dependents run; default the
         * connection's listener thread. Calls for one service stay ordered whatever executor is given. The
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
         * Builds the resolver; unless a shared {@linkplain #connection(EtcdConnection) connection}
         * was given, this opens its own connection (whose client connects lazily).
         *
         * @throws IllegalArgumentException if none or several of connection, etcd and endpoints are
         *     set, or the endpoints are invalid
         */
        public EtcdResolver build() {
            final EtcdClientConfig config = etcdConfig();
            final EtcdConnection shared = sharedConnection();
            final EtcdResources etcd = shared != null ? EtcdResources.of(shared) : new EtcdResources(config);
            return new EtcdResolver(this, configuredKeyLayout(), etcd, shared == null,
                    callTimeout != null ? callTimeout : config.callTimeout());
        }
    }
}
