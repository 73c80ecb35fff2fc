package io.kitex4j.resolver;

import io.kitex4j.core.internal.Throwables;

import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.core.discovery.ResolverUpdate;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.registry.EtcdAccessException;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.SkippedKey;
import io.kitex4j.registry.RegistryEntry;
import io.kitex4j.registry.internal.EtcdChannels;
import io.kitex4j.registry.internal.TaskScope;
import io.kitex4j.core.discovery.ResolvedInstances.State;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one etcd watch of one service in one {@link EtcdResolver}, shared by every
 * {@link ServiceWatch} of that service.
 *
 * <h2>How the view is kept right</h2>
 * A <em>sync</em> reads the whole {@code <prefix>/<service>/} range at some revision G (one
 * linearizable prefix {@code Get}, as Go's resolver does on every refresh), replaces the view
 * with it, and starts a watch from G+1, so that no change after the read is missed and none is
 * applied twice.
 *
 * <p>Whenever the watch ends for any reason (connection lost, member stopped, leader lost,
 * revision compacted, stream closed by etcd), the next step is a new sync, not a resume of the
 * watch from the last revision seen. A resume is what jetcd would do by itself, and it is wrong in
 * two cases that a fresh read gets right:
 * <ul>
 *   <li>the revision to resume from was compacted meanwhile: jetcd ends the watch with a
 *       {@link CompactedException}, and only a read can recover;
 *   <li>etcd's data was wiped or restored from a backup: revisions restart low, and a watch
 *       resumed from the old revision would wait, silently, until the new history grows past it
 *       (etcd accepts watches from future revisions). Even once detected (the read returns a
 *       revision lower than one already seen, which is logged), only a read can rebuild the view.
 * </ul>
 * The read costs one range request per service per reconnection, and since the view is diffed,
 * listeners see exactly what changed while the watch was down.
 *
 * <h2>Reachability</h2>
 * While a sync has not answered within the call timeout, the view turns
 * {@link State#UNREACHABLE} and keeps its instances. The read is not abandoned: jetcd's calls wait
 * for the connection to be ready, so the same read answers as soon as etcd is back (it is replaced
 * only if it has not answered after {@link #ABANDON_AFTER}, in case it was lost). A read that
 * fails outright is retried with exponential backoff. For the same reason a new watch waits
 * silently if etcd goes away while it is being created, so each watch must be confirmed by etcd
 * (created notification) within the call timeout, or it counts as ended.
 *
 * <p>The view's {@link ResolvedInstances#lastContact()} is when etcd last backed it: a read answered,
 * a watch response (its creation included), or the end of a watch etcd had confirmed (it kept the
 * view current until then). Each end of a watch counts as one reconnect
 * ({@link EtcdResolver#watchReconnects(String)}).
 *
 * <h2>Threads</h2>
 * Everything but {@link #current} and the listener list is touched only on the connection's
 * scheduler thread, through the resolver's {@link TaskScope}; etcd callbacks hop onto it. Every
 * sync or watch gets a new {@code epoch}, and a callback from an older one is ignored, so a late
 * answer can never overwrite a newer view.
 */
final class EtcdServiceWatcher {

    // One logger for the whole resolver, so that users configure a single name.
    private static final Logger logger = LoggerFactory.getLogger(EtcdResolver.class);

    private static final GetOption GET_PREFIX = GetOption.builder().isPrefix(true).build();

    /** A watch that lived this long was healthy: if it breaks, sync again at once. */
    private static final long STABLE_NANOS = Duration.ofSeconds(5).toNanos();
    private static final long BACKOFF_BASE_NANOS = Duration.ofMillis(250).toNanos();
    private static final long BACKOFF_MAX_NANOS = Duration.ofSeconds(5).toNanos();
    /** A read still unanswered after this long is presumed lost and replaced by a new one. */
    static final Duration ABANDON_AFTER = Duration.ofSeconds(30);

    /** How often a pending read resets the channel's reconnect backoff while etcd is unreachable. */
    static final Duration RECONNECT_NUDGE = Duration.ofSeconds(2);

    final String service;
    private final WatcherContext context;
    private final Client client;
    private final ByteSequence prefix;
    private final String prefixText;
    private final TaskScope loop;
    private final SerialExecutor callbacks;

    // Read from any thread.
    private volatile ResolvedInstances current;
    final CompletableFuture<ResolvedInstances> firstSync = new CompletableFuture<>();
    private final CopyOnWriteArrayList<Registration> listeners = new CopyOnWriteArrayList<>();

    /** References from {@link ServiceWatch}es; guarded by the resolver's lock. */
    int refs;

    // Scheduler thread only.
    private final TreeMap<byte[], Instance> byKey = new TreeMap<>(Arrays::compareUnsigned);
    private TreeMap<byte[], RegistryEntry> skippedByKey = new TreeMap<>(Arrays::compareUnsigned);
    private List<SkippedKey> publishedSkipped = List.of();
    private boolean skippedDirty; // skippedByKey differs from publishedSkipped
    private Map<String, Instance> publishedByAddress = Map.of();
    private boolean dirty; // byKey differs from the published view
    private long revision;
    private long epoch;
    private Watch.Watcher watcher;
    private boolean syncInFlight;
    private long syncStartedNanos;
    private ScheduledFuture<?> timer;
    private long watchStartedNanos;
    private boolean watchConfirmed;
    private int failures;
    private long unreachableSinceNanos = -1;
    /** The outage (its start) whose cause is being or was diagnosed. */
    private long diagnosedOutage = -1;
    private boolean stopped;
    /** When etcd last backed the view: a read answered, a watch response, or a confirmed watch alive until it ended. */
    private Instant lastContact;

    EtcdServiceWatcher(WatcherContext context, String service, String keyPrefix) {
        this.context = context;
        this.service = service;
        this.client = context.client();
        this.prefixText = keyPrefix;
        this.prefix = ByteSequence.from(keyPrefix, StandardCharsets.UTF_8);
        this.loop = context.loop();
        this.callbacks = new SerialExecutor(context.listenerExecutor());
        this.current = ResolvedInstances.syncing(service);
    }

    ResolvedInstances current() {
        return current;
    }

    void start() {
        onScheduler(this::sync);
    }

    void stop() {
        onScheduler(this::stopNow);
    }

    /** Stops the watch; on the scheduler thread only (the resolver closing from a listener). */
    void stopNow() {
        stopped = true;
        epoch++;
        closeWatcher();
        cancelTimer();
        for (Registration r : listeners) {
            r.active = false;
        }
        listeners.clear();
        firstSync.cancel(false);
    }

    // ---------------------------------------------------------------------------------------------
    // Listeners

    /** A listener added through one {@link ServiceWatch}. */
    static final class Registration {
        final ResolverListener listener;
        volatile boolean active = true;

        Registration(ResolverListener listener) {
            this.listener = listener;
        }
    }

    void addListener(Registration reg) {
        onScheduler(() -> {
            if (!reg.active || stopped) {
                return;
            }
            listeners.add(reg);
            final ResolvedInstances now = current;
            if (now.state() != State.SYNCING) {
                // Enqueued behind every earlier update and before every later one, so the listener
                // sees the current view first and then each change in order.
                final ResolverUpdate initial = new ResolverUpdate(
                        ResolvedInstances.syncing(service), now,
                        List.copyOf(publishedByAddress.values()), List.of(), List.of());
                callbacks.execute(() -> deliver(reg, initial));
            }
        });
    }

    void removeListener(Registration reg) {
        reg.active = false;
        listeners.remove(reg);
    }

    private void notifyListeners(ResolverUpdate update) {
        final List<ResolverListener> resolverWide = context.resolverListeners();
        if (listeners.isEmpty() && resolverWide.isEmpty()) {
            return;
        }
        final Object[] targets = listeners.toArray();
        final Object[] wide = resolverWide.toArray();
        callbacks.execute(() -> {
            for (Object r : targets) {
                deliver((Registration) r, update);
            }
            for (Object l : wide) {
                deliver((ResolverListener) l, update);
            }
        });
    }

    private void deliver(Registration reg, ResolverUpdate update) {
        if (reg.active) {
            deliver(reg.listener, update);
        }
    }

    private void deliver(ResolverListener listener, ResolverUpdate update) {
        try {
            listener.onUpdate(update);
        } catch (RuntimeException e) {
            logger.warn("A resolver listener of service {} threw; ignoring it", service, e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Sync: read the whole range, then watch from the next revision

    private void sync() {
        if (stopped) {
            return;
        }
        final long ep = ++epoch;
        closeWatcher();
        cancelTimer();
        syncInFlight = true;
        syncStartedNanos = System.nanoTime();
        timer = loop.schedule(() -> syncSlow(ep), context.callTimeout().toNanos(), NANOSECONDS);
        final CompletableFuture<GetResponse> get;
        try {
            get = client.getKVClient().get(prefix, GET_PREFIX);
        } catch (RuntimeException e) {
            // The client is closed, or refused the call outright.
            syncDone(ep, null, e);
            return;
        }
        get.whenComplete((response, error) -> onScheduler(() -> syncDone(ep, response, error)));
    }

    /** The read has not answered within the call timeout: the view is stale from now on. */
    private void syncSlow(long ep) {
        if (ep != epoch || !syncInFlight) {
            return;
        }
        final long waited = System.nanoTime() - syncStartedNanos;
        if (waited >= ABANDON_AFTER.toNanos()) {
            logger.debug("Read of {} unanswered after {} ms; sending a new one", prefixText, waited / 1_000_000);
            sync();
            return;
        }
        if (unreachableSinceNanos < 0) {
            markUnreachable(new TimeoutException(
                    "etcd did not answer a read of '" + prefixText + "' within " + context.callTimeout().toMillis() + " ms"));
        }
        // Keep waiting for this read: it answers as soon as etcd is reachable again. gRPC's reconnect
        // backoff grows to two minutes during a long outage, so nudge the channel now and then.
        EtcdChannels.resetConnectBackoff(client);
        timer = loop.schedule(() -> syncSlow(ep),
                Math.min(RECONNECT_NUDGE.toNanos(), ABANDON_AFTER.toNanos() - waited), NANOSECONDS);
    }

    private void syncDone(long ep, GetResponse response, Throwable error) {
        if (ep != epoch || stopped) {
            return;
        }
        syncInFlight = false;
        cancelTimer();
        if (error != null) {
            failures++;
            markUnreachable(Throwables.unwrap(error));
            EtcdChannels.resetConnectBackoff(client);
            scheduleSync(backoffNanos(failures));
            return;
        }
        lastContact = Instant.now();
        final long readRevision = response.getHeader().getRevision();
        if (revision != 0 && readRevision < revision) {
            logger.warn("etcd's revision went backwards for service {} (from {} to {}): its data was wiped or "
                    + "restored from a backup; the instances are now those of the fresh read", service, revision,
                    readRevision);
        }
        byKey.clear();
        final TreeMap<byte[], RegistryEntry> skippedBefore = skippedByKey;
        skippedByKey = new TreeMap<>(Arrays::compareUnsigned);
        for (KeyValue kv : response.getKvs()) {
            final byte[] key = kv.getKey().getBytes();
            final Instance instance = decode(key, kv, skippedBefore.get(key));
            if (instance != null) {
                byKey.put(key, instance);
            }
        }
        skippedDirty |= !skippedByKey.equals(skippedBefore);
        revision = readRevision;
        dirty = true;
        if (unreachableSinceNanos >= 0) {
            logger.info("etcd answers again for service {} after {} ms; {} instances", service,
                    (System.nanoTime() - unreachableSinceNanos) / 1_000_000, byKey.size());
            unreachableSinceNanos = -1;
        }
        publish(contentState(), null);
        startWatch(ep, readRevision + 1);
    }

    private void startWatch(long ep, long fromRevision) {
        final WatchOption option = WatchOption.builder()
                .isPrefix(true)
                .withRevision(fromRevision)
                // A member cut off from the leader would otherwise keep the watch open and silent.
                .withRequireLeader(true)
                // jetcd's calls wait for a ready connection, so a watch created while etcd goes away
                // would wait silently: require etcd's confirmation, or treat the watch as broken.
                .withCreateNotify(true)
                .build();
        watchStartedNanos = System.nanoTime();
        watchConfirmed = false;
        cancelTimer();
        timer = loop.schedule(() -> watchUnconfirmed(ep), context.callTimeout().toNanos(), NANOSECONDS);
        try {
            watcher = client.getWatchClient().watch(prefix, option, new Watch.Listener() {
                @Override
                public void onNext(WatchResponse response) {
                    onScheduler(() -> watchResponse(ep, response));
                }

                @Override
                public void onError(Throwable error) {
                    onScheduler(() -> watchEnded(ep, error));
                }

                @Override
                public void onCompleted() {
                    onScheduler(() -> watchEnded(ep, null));
                }
            });
            context.watchesStarted().incrementAndGet();
        } catch (RuntimeException e) {
            watchEnded(ep, e);
        }
    }

    private void watchResponse(long ep, WatchResponse response) {
        if (ep != epoch || stopped) {
            return;
        }
        lastContact = Instant.now();
        if (response.isCreatedNotify()) {
            watchConfirmed = true;
            cancelTimer();
            return;
        }
        final List<WatchEvent> events = response.getEvents();
        if (events.isEmpty()) {
            return; // progress notification
        }
        // Events of one revision (a transaction) share it, so compare with the revision before
        // this response, not with the one of the previous event.
        final long before = revision;
        long max = before;
        for (WatchEvent event : events) {
            final KeyValue kv = event.getKeyValue();
            final long mod = kv.getModRevision();
            if (mod <= before) {
                continue; // already part of the read the watch started after
            }
            max = Math.max(max, mod);
            final byte[] key = kv.getKey().getBytes();
            switch (event.getEventType()) {
                case PUT -> {
                    final Instance instance = decode(key, kv, skippedByKey.get(key));
                    // An invalid value replaces a valid one: this key is skipped now.
                    final Instance old = instance != null ? byKey.put(key, instance) : byKey.remove(key);
                    dirty |= instance != null ? !instance.equals(old) : old != null;
                }
                case DELETE -> {
                    dirty |= byKey.remove(key) != null;
                    skippedDirty |= skippedByKey.remove(key) != null;
                }
                default -> logger.debug("Ignoring an unrecognized watch event on {}",
                        LogValues.escape(kv.getKey().toString(StandardCharsets.UTF_8)));
            }
        }
        revision = max;
        publish(contentState(), null);
    }

    private void watchUnconfirmed(long ep) {
        if (ep != epoch || stopped || watchConfirmed) {
            return;
        }
        watchEnded(ep, new TimeoutException(
                "etcd did not confirm the watch of '" + prefixText + "' within " + context.callTimeout().toMillis()
                        + " ms"));
    }

    private void watchEnded(long ep, Throwable error) {
        if (ep != epoch || stopped) {
            return;
        }
        epoch++; // ignore anything else this watcher reports
        closeWatcher(); // and stop jetcd from resuming it by itself
        if (watchConfirmed) {
            // A confirmed watch kept the view current until it ended.
            lastContact = Instant.now();
        }
        context.reconnects().computeIfAbsent(service, s -> new AtomicLong()).incrementAndGet();
        cancelTimer();
        final boolean wasStable = System.nanoTime() - watchStartedNanos >= STABLE_NANOS;
        if (wasStable) {
            failures = 0;
        }
        final Throwable cause = error == null ? null : Throwables.unwrap(error);
        if (cause instanceof CompactedException compacted) {
            logger.info("Watch of service {} fell behind compaction (revision {}); reading it again", service,
                    compacted.getCompactedRevision());
        } else {
            logger.info("Watch of service {} ended ({}); reading it again", service,
                    cause == null ? "closed by etcd" : cause.toString());
        }
        scheduleSync(wasStable ? 0 : backoffNanos(++failures));
    }

    // ---------------------------------------------------------------------------------------------
    // Publishing

    private State contentState() {
        return byKey.isEmpty() && context.emptyIsError() ? State.NO_INSTANCES : State.OK;
    }

    private void markUnreachable(Throwable cause) {
        if (unreachableSinceNanos < 0) {
            unreachableSinceNanos = System.nanoTime();
            // "No answer" hides a TLS or port mistake: find the cause, then say it in one line.
            diagnose(context.config(), cause, unreachableSinceNanos);
        } else {
            logger.debug("etcd still cannot be read for service {}: {}", service, describe(cause));
        }
        final ResolvedInstances now = current;
        // Keep a diagnosis already made for this outage rather than replace it by "no answer" again.
        publish(State.UNREACHABLE, now.state() == State.UNREACHABLE && now.lastError() instanceof EtcdAccessException
                ? now.lastError() : cause);
    }

    private void diagnose(EtcdClientConfig config, Throwable cause, long outage) {
        diagnosedOutage = outage;
        config.diagnose(cause).whenComplete((found, e) -> onScheduler(() -> {
            if (stopped || diagnosedOutage != outage) {
                return;
            }
            final Throwable reported = found != null ? found : cause;
            logger.warn("etcd cannot be read for service {}; serving the {} last known instances: {}", service,
                    current.instances().size(), LogValues.escape(describe(reported), 300));
            if (found != null && unreachableSinceNanos == outage && current.state() == State.UNREACHABLE) {
                publish(State.UNREACHABLE, found);
            }
        }));
    }

    private static String describe(Throwable t) {
        return t instanceof EtcdAccessException ? t.getMessage() : t.toString();
    }

    private void publish(State state, Throwable error) {
        final ResolvedInstances previous = current;
        final List<Instance> instances;
        final InstanceDiff diff;
        if (dirty) {
            instances = List.copyOf(byKey.values());
            final Map<String, Instance> byAddress = InstanceDiff.byAddress(instances);
            diff = InstanceDiff.between(publishedByAddress, byAddress);
            publishedByAddress = byAddress;
            dirty = false;
        } else {
            instances = previous.instances();
            diff = null;
        }
        final boolean skippedChanged = skippedDirty;
        if (skippedDirty) {
            publishedSkipped = skippedByKey.values().stream().map(RegistryEntry::toSkippedKey).toList();
            skippedDirty = false;
        }
        final Instant now = Instant.now();
        if (state == State.OK || state == State.NO_INSTANCES) {
            // A current view says etcd backed it as of now; keep the field in step, so that a later stale view
            // (which reports the field) never goes back before what this one reported.
            lastContact = now;
        }
        final ResolvedInstances next = new ResolvedInstances(service, instances, publishedSkipped, revision, state,
                error, now, state == State.UNREACHABLE ? lastContact : now);
        current = next;
        if (state != State.SYNCING) {
            firstSync.complete(next);
        }
        final boolean changed = diff != null && !diff.isEmpty();
        // A diagnosis that arrives during an outage is news too: it says why (and whether waiting helps).
        final boolean diagnosed = error instanceof EtcdAccessException && error != previous.lastError();
        if (changed || skippedChanged || diagnosed || previous.state() != state) {
            notifyListeners(changed
                    ? new ResolverUpdate(previous, next, diff.added, diff.removed, diff.updated)
                    : new ResolverUpdate(previous, next, List.of(), List.of(), List.of()));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /**
     * Decodes one value with {@link RegistryEntry#decode} (the decoding {@code kitex4j ls} uses too);
     * a skipped key goes into {@link #skippedByKey} and gets a WARN, unless it was already skipped
     * for the same reason (so a re-read after a reconnection does not repeat every warning).
     *
     * @return the instance, or {@code null} if the key is skipped
     */
    private Instance decode(byte[] key, KeyValue kv, RegistryEntry skippedBefore) {
        final byte[] value = kv.getValue().getBytes();
        final RegistryEntry entry = RegistryEntry.decode(new String(key, StandardCharsets.UTF_8), value,
                context.defaultWeight());
        if (!entry.isSkipped()) {
            skippedDirty |= skippedByKey.remove(key) != null;
            return entry.instance();
        }
        skippedByKey.put(key, entry);
        if (!entry.equals(skippedBefore)) {
            skippedDirty = true;
            // Go's resolver logs and skips a value it cannot decode too; the other instances stay.
            // Key, reason and value come from etcd: escaped, and rate-limited per resolver.
            context.skippedValues().log("Skipping key '{}' of service {}: {} (value: {})",
                    LogValues.escape(entry.key(), 256), service, LogValues.escape(entry.skipReason(), 256),
                    LogValues.escapeBytes(value));
        }
        return null;
    }

    private void scheduleSync(long delayNanos) {
        cancelTimer();
        if (delayNanos <= 0) {
            sync();
        } else {
            timer = loop.schedule(this::sync, delayNanos, NANOSECONDS);
        }
    }

    private static long backoffNanos(int failures) {
        final long exp = BACKOFF_BASE_NANOS << Math.min(Math.max(failures - 1, 0), 10);
        final long capped = Math.min(exp, BACKOFF_MAX_NANOS);
        // Jitter, so that many services (and processes) do not hit a recovering etcd in lockstep.
        return (long) (capped * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    }

    private void closeWatcher() {
        final Watch.Watcher w = watcher;
        watcher = null;
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                logger.debug("Closing the watch of {} failed", prefixText, e);
            }
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onScheduler(Runnable task) {
        if (!loop.execute(task)) {
            // The resolver is closing; nothing is left to update.
            logger.trace("Resolver closed; dropping a task for {}", service);
        }
    }
}
