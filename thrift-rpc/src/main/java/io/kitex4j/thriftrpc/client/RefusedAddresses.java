package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The addresses that refused a connection, shared by every client of the process: a dead server
 * costs each client one failed connect, not one per client.
 *
 * <p>Per address, a small state machine:
 * <ul>
 *   <li><b>healthy</b> (no entry): picked as usual. A refused (or reset) connect marks it.
 *   <li><b>backing off</b> until {@code retryAt}: left out of the picker. The first backoff is the
 *       client's initial backoff; each failed probe doubles it up to the client's maximum; every
 *       period is jittered by &plusmn;20% so that the clients of many processes do not probe in step.
 *       Refusals reported during the period (connects already under way when it was marked) only
 *       count.
 *   <li><b>probe due</b> ({@code now >= retryAt}): the next pick that asks for it ({@link
 *       #tryClaimProbe}) gets it, and {@code retryAt} moves one more period ahead, so exactly one call
 *       goes to it per period, even if that call never reports back. Its refusal doubles the backoff;
 *       its success, or any successful connect, removes the entry (<b>recovered</b>), and so does an
 *       etcd update of the instance ({@link #forget}).
 * </ul>
 *
 * <p>Bounded: at most {@link #MAX_TRACKED} addresses are tracked, so that etcd values naming
 * thousands of closed ports cannot grow it without limit. When full, entries nobody probed for a
 * minute are dropped; if none can be, a new address is not tracked (it is called as if healthy, as
 * before this existed) and the event is counted.
 *
 * <p>Thread-safe. The marked set changes rarely; {@link #version()} lets pickers cache their
 * filtered view and rebuild it only when the set changed.
 */
final class RefusedAddresses {

    private static final Logger log = LoggerFactory.getLogger(RefusedAddresses.class);

    /** The most addresses tracked at once. */
    static final int MAX_TRACKED = 4096;
    /** An entry whose probe has been due this long without anyone taking it may be dropped when full. */
    static final long STALE_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Each backoff period is multiplied by a factor drawn uniformly from [1 - JITTER, 1 + JITTER). */
    static final double JITTER = 0.2;

    private static final RefusedAddresses SHARED =
            new RefusedAddresses(System::nanoTime, () -> ThreadLocalRandom.current().nextDouble(), MAX_TRACKED);

    private final LongSupplier clock;
    private final DoubleSupplier random;
    private final int maxTracked;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong version = new AtomicLong();
    private final LongAdder refusedConnects = new LongAdder();
    private final LongAdder probes = new LongAdder();
    private final RateLimitedLog marks = new RateLimitedLog(log, Level.WARN, "instance_unavailable");
    private final RateLimitedLog recoveries = new RateLimitedLog(log, Level.INFO, "instance_recovered");
    private final RateLimitedLog untracked = new RateLimitedLog(log, Level.WARN, "unavailable_registry_full");

    /**
     * @param clock nanoseconds, as {@link System#nanoTime()}
     * @param random values in [0, 1), for the jitter
     */
    RefusedAddresses(LongSupplier clock, DoubleSupplier random, int maxTracked) {
        this.clock = clock;
        this.random = random;
        this.maxTracked = maxTracked;
    }

    /** The process-wide instance every client uses. */
    static RefusedAddresses shared() {
        return SHARED;
    }

    /**
     * Whether {@code cause} (of a failed connect, possibly wrapped) says that nothing listens at the
     * address: the connection was refused or reset while connecting (a {@link ConnectException},
     * which is what Netty reports for both). A connect <em>timeout</em> does not mark: under load it
     * is as likely our own event loop or a full accept queue as a dead server, and the instance-level
     * circuit breakers of the governance work will weigh timeouts.
     */
    static boolean isRefusal(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectTimeoutException) {
                return false;
            }
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** Changes whenever an address is marked or leaves the set. */
    long version() {
        return version.get();
    }

    /** Whether {@code address} is marked (backing off, or waiting for its probe). */
    boolean isMarked(String address) {
        return entries.containsKey(address);
    }

    /**
     * Whether a probe of the marked {@code address} is due, and if so claims it for the caller: the
     * next probe will be due one period later, whatever becomes of this one.
     */
    boolean tryClaimProbe(String address) {
        final Entry e = entries.get(address);
        if (e == null) {
            return false;
        }
        final long now = clock.getAsLong();
        synchronized (e) {
            if (now - e.retryAt < 0 || e.removed) {
                return false;
            }
            e.probing = true;
            e.retryAt = now + e.periodNanos;
        }
        probes.increment();
        return true;
    }

    /**
     * A connect to {@code address} was refused.
     *
     * @param initialBackoffNanos the first period, if this marks it
     * @param maxBackoffNanos the cap of the doubling, if this was a probe
     */
    void onRefused(String address, long initialBackoffNanos, long maxBackoffNanos) {
        refusedConnects.increment();
        final long now = clock.getAsLong();
        Entry e = entries.get(address);
        if (e == null) {
            if (!reserveSlot(now)) {
                untracked.log("Not tracking {} as unavailable: {} addresses are already tracked",
                        LogValues.escape(address), maxTracked);
                return;
            }
            final Entry fresh = new Entry(initialBackoffNanos, jittered(initialBackoffNanos, maxBackoffNanos), now);
            e = entries.putIfAbsent(address, fresh);
            if (e == null) {
                version.incrementAndGet();
                marks.log("Instance {} refused a connection; calls avoid it for {} ms, then probe it",
                        LogValues.escape(address), TimeUnit.NANOSECONDS.toMillis(fresh.periodNanos));
                return;
            }
            size.decrementAndGet();
        }
        synchronized (e) {
            e.refusals++;
            // A refusal during the period is a connect that started before the mark: it says nothing new.
            if (!e.probing && now - e.retryAt < 0) {
                return;
            }
            e.baseNanos = e.baseNanos > maxBackoffNanos / 2 ? maxBackoffNanos : Math.min(e.baseNanos * 2, maxBackoffNanos);
            e.periodNanos = jittered(e.baseNanos, maxBackoffNanos);
            e.retryAt = now + e.periodNanos;
            e.probing = false;
            log.debug("Probe of {} refused; next one in {} ms", LogValues.escape(address),
                    TimeUnit.NANOSECONDS.toMillis(e.periodNanos));
        }
    }

    /** A new connection to {@code address} was opened: it is healthy again. */
    void onConnected(String address) {
        remove(address, "a connection succeeded");
    }

    /** etcd changed or re-added the instance at {@code address}: give it a fresh chance. */
    void forget(String address) {
        remove(address, "etcd updated it");
    }

    private void remove(String address, String why) {
        // The common case, on every call: nothing is marked.
        final Entry e = entries.isEmpty() ? null : entries.remove(address);
        if (e == null) {
            return;
        }
        final long refusals;
        synchronized (e) {
            e.removed = true;
            refusals = e.refusals;
        }
        size.decrementAndGet();
        version.incrementAndGet();
        recoveries.log("Instance {} is available again ({}) after {} refused connection(s) in {} ms",
                LogValues.escape(address), why, refusals,
                TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - e.markedAt));
    }

    /** Takes a slot for a new entry, dropping stale entries when full. */
    private boolean reserveSlot(long now) {
        if (size.incrementAndGet() <= maxTracked) {
            return true;
        }
        size.decrementAndGet();
        for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            final Entry e = it.next().getValue();
            final boolean stale;
            synchronized (e) {
                stale = now - e.retryAt > STALE_NANOS;
                if (stale) {
                    e.removed = true;
                }
            }
            if (stale) {
                it.remove();
                size.decrementAndGet();
                version.incrementAndGet();
            }
        }
        if (size.incrementAndGet() <= maxTracked) {
            return true;
        }
        size.decrementAndGet();
        return false;
    }

    /** {@code nanos} times a random factor in [1 - JITTER, 1 + JITTER), never above {@code maxNanos}. */
    private long jittered(long nanos, long maxNanos) {
        final double factor = 1 - JITTER + 2 * JITTER * random.getAsDouble();
        return Math.max(1, Math.min(maxNanos, (long) (nanos * factor)));
    }

    /** The counters, for metrics. */
    RefusedInstanceStats stats() {
        return new RefusedInstanceStats(marks.count(), probes.sum(), recoveries.count(), refusedConnects.sum(),
                untracked.count(), size.get());
    }

    /** The state of one marked address; guarded by itself. */
    private static final class Entry {
        final long markedAt;
        // The period before jitter, doubled by each refused probe; and the jittered one in force.
        long baseNanos;
        long periodNanos;
        long retryAt;
        long refusals = 1;
        boolean probing;
        boolean removed;

        Entry(long baseNanos, long periodNanos, long now) {
            this.markedAt = now;
            this.baseNanos = baseNanos;
            this.periodNanos = periodNanos;
            this.retryAt = now + periodNanos;
        }
    }
}
