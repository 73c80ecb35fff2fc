package io.kitex4j.thriftrpc.server;

import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * The default handler execution: one <em>lane</em> per I/O thread, drained in batches by handler threads.
 *
 * <p>Why not a {@link ThreadPoolExecutor} per call: each call then costs two thread hand-offs (the I/O thread
 * wakes a handler thread, the handler thread wakes the I/O thread to write), and on a loaded core each
 * hand-off is a context switch. A lane amortises both over a batch:
 * <pre>
 *  I/O thread (event loop)                       handler thread (drainer)
 *  ───────────────────────                       ────────────────────────
 *  read + route N requests ──► lane.calls ─────► run call 1 .. N, one after another
 *  (no wake-up per request)     (one wake-up         │  (decode args, handler, encode reply)
 *  end of the loop's turn ───►  per batch)           ▼
 *  write + flush N replies ◄── lane.completions ◄── replies, handed back once per batch
 * </pre>
 * A handler that blocks holds its drainer, so the calls queued behind it in the same lane would wait. The
 * lane watches for that: while it has calls queued, a check runs on its I/O thread every
 * {@linkplain KitexServerBuilder#handlerStallThreshold stall threshold}; if no call of the lane started since
 * the last check and its drainer waits (a lock, a park, a sleep), more drainers are started for the queued calls;
 * if the drainer is runnable (a long computation, a native socket read, or a saturated CPU that has not
 * scheduled it), after {@value #RUNNABLE_STALL_CHECKS} thresholds. So a blocking handler delays the other
 * connections of its I/O thread by at most about the threshold, and never stalls reads, writes or other
 * lanes. For a second after a stall, the lane expects more handlers that block and starts a drainer for each
 * queued call at once (up to {@value #MAX_DRAINERS_PER_STALL} per turn), as a pool would; the drainers that
 * find nothing to do end. The I/O threads never run handlers.
 *
 * <p>Drainers come from one pool per server, of up to {@code maxThreads} threads, which end after 60 s idle.
 * At that limit calls wait in their lane (as they would in a full pool's queue) until a drainer is free.
 */
final class HandlerLanes {

    /** Per batch at most this many replies are held back before they are handed to the I/O thread. */
    static final int MAX_DEFERRED_REPLIES = 32;
    /** At most this many drainers are added to a stalled lane per check. */
    private static final int MAX_DRAINERS_PER_STALL = 8;
    /** How long after a stall a lane hands queued calls to new drainers at once. */
    /** How long a lane's parked drainer waits for the next batch before its thread returns to the pool. */
    private static final long RESIDENT_IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long BLOCKING_MODE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Thresholds without progress before a lane whose drainer is runnable (not waiting) gets more drainers. */
    static final int RUNNABLE_STALL_CHECKS = 5;

    private final ThreadPoolExecutor pool;
    private final long stallThresholdNanos;
    private final ConcurrentHashMap<EventExecutor, Lane> lanes = new ConcurrentHashMap<>();
    // How many times a stalled lane got extra drainers; for tests and diagnostics.
    private final AtomicLong stallsDetected = new AtomicLong();
    private volatile boolean shutdown;

    HandlerLanes(int maxThreads, long stallThresholdNanos, String threadNamePrefix) {
        this.stallThresholdNanos = stallThresholdNanos;
        final AtomicInteger ids = new AtomicInteger();
        final ThreadFactory factory = r -> {
            final Thread t = new Drainer(r, threadNamePrefix + '-' + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // A SynchronousQueue: a batch goes to an idle thread (the most recently idle one: warm caches) or a new
        // one; never to a queue behind a busy thread.
        pool = new ThreadPoolExecutor(0, maxThreads, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), factory);
    }

    /** The lane of an I/O thread; all connections of that thread share it. */
    Lane lane(EventExecutor loop) {
        return lanes.computeIfAbsent(loop, Lane::new);
    }

    long stallsDetected() {
        return stallsDetected.get();
    }

    int poolSize() {
        return pool.getPoolSize();
    }

    /** Stops the pool after the calls already queued or running: drainers end when their lane is empty. */
    void shutdown() {
        shutdown = true;
        pool.shutdown();
        for (Lane l : lanes.values()) {
            l.releaseResident();
        }
    }

    /** A handler thread; knows which lane it is draining, so replies made there can be batched. */
    private static final class Drainer extends FastThreadLocalThread {
        Lane lane;

        Drainer(Runnable r, String name) {
            super(r, name);
        }
    }

    /** The calls of one I/O thread's connections. */
    final class Lane {

        private final EventExecutor loop;
        private final Queue<ServerCall> calls = new ConcurrentLinkedQueue<>();
        private final Queue<ServerCall> completions = new ConcurrentLinkedQueue<>();
        private final AtomicInteger drainers = new AtomicInteger();
        private final AtomicBoolean completionsScheduled = new AtomicBoolean();
        // Calls started, by any drainer; the stall check only asks whether it moved.
        private final AtomicLong started = new AtomicLong();
        private final Runnable drainTask = this::drain;
        private final Runnable deliverTask = this::deliverCompletions;
        private final Runnable endOfTurnTask = this::endOfTurn;
        private final Runnable stallCheckTask = this::checkStall;

        // Replies held back since the last hand-over. Only this lane's drainers touch it; when several run at
        // once (after a stall) a lost update only moves the next hand-over.
        private int deferredCount;
        // Confined to the I/O thread.
        private boolean endOfTurnScheduled;
        private boolean stallCheckScheduled;
        private long startedAtLastCheck;
        // When a stall was last seen (System.nanoTime()); for a second after it the lane expects handlers
        // that block and starts a drainer per queued call at once, as a pool would, instead of a stall check
        // (a threshold) later. 0: never.
        private long lastStallNanos;
        // Consecutive checks that saw no progress while the drainer was runnable.
        private int runnableStalls;
        // The drainer that last started draining (set once per drain, not per call), for its thread state.
        private volatile Thread lastDrainer;
        // The drainer parked waiting for this lane's next batch, if any.
        private final AtomicReference<Thread> resident = new AtomicReference<>();

        private Lane(EventExecutor loop) {
            this.loop = loop;
        }

        /**
         * Queues a call. On the I/O thread: the drainer is woken once at the end of the loop's turn, for all
         * the calls read in it.
         */
        void submit(ServerCall call) {
            calls.offer(call);
            if (loop.inEventLoop()) {
                if (!endOfTurnScheduled) {
                    endOfTurnScheduled = true;
                    // A task of the loop runs after the I/O events of this turn are processed.
                    loop.execute(endOfTurnTask);
                }
            } else {
                loop.execute(endOfTurnTask);
            }
        }

        private void endOfTurn() {
            endOfTurnScheduled = false;
            if (calls.isEmpty()) {
                return;
            }
            if (drainers.get() == 0 && drainers.compareAndSet(0, 1)) {
                final Thread idle = resident.getAndSet(null);
                if (idle != null) {
                    LockSupport.unpark(idle);
                } else {
                    startDrainer();
                }
            } else if (lastStallNanos != 0 && System.nanoTime() - lastStallNanos < BLOCKING_MODE_NANOS) {
                addDrainers(calls.size());
            }
            if (!stallCheckScheduled) {
                stallCheckScheduled = true;
                startedAtLastCheck = started.get();
                loop.schedule(stallCheckTask, stallThresholdNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void checkStall() {
            stallCheckScheduled = false;
            // Replies held back by a drainer that then went into a long call.
            deliverCompletions();
            if (calls.isEmpty()) {
                return;
            }
            final long now = started.get();
            if (now == startedAtLastCheck) {
                // Nothing started for a whole threshold although calls are waiting. Either the lane's drainer is
                // in a call that waits (a lock, a park, a sleep: its state says so), or it is runnable: running a
                // long call, in a native read (a blocking socket shows as RUNNABLE), or just not scheduled because
                // the CPUs are saturated. More threads help the first at once; for the others they only add
                // threads on a saturated core, so a runnable drainer gets RUNNABLE_STALL_CHECKS thresholds.
                final Thread d = lastDrainer;
                final boolean waiting = d != null && d.getState() != Thread.State.RUNNABLE;
                if (waiting || ++runnableStalls >= RUNNABLE_STALL_CHECKS) {
                    runnableStalls = 0;
                    stallsDetected.incrementAndGet();
                    if (waiting) {
                        // Only a drainer seen waiting says the handlers block; a runnable one may just not have
                        // been scheduled, and a pool's worth of threads would not help a saturated core.
                        lastStallNanos = System.nanoTime() | 1;
                    }
                    addDrainers(waiting ? calls.size() : 1);
                }
            } else {
                runnableStalls = 0;
            }
            startedAtLastCheck = now;
            stallCheckScheduled = true;
            loop.schedule(stallCheckTask, stallThresholdNanos, TimeUnit.NANOSECONDS);
        }

        private void addDrainers(int queued) {
            int add = Math.min(MAX_DRAINERS_PER_STALL, Math.max(1, queued));
            while (add-- > 0) {
                drainers.incrementAndGet();
                if (!startDrainer()) {
                    break;
                }
            }
        }

        /** Starts a drainer already counted in {@link #drainers}; false (and uncounted) if none can start. */
        private boolean startDrainer() {
            try {
                pool.execute(drainTask);
                return true;
            } catch (RejectedExecutionException e) {
                // The pool is at its limit (the calls wait for a drainer to finish) or shut down (the server
                // stopped after its drain timeout: the connections are closed and the calls dropped).
                drainers.decrementAndGet();
                if (pool.isShutdown()) {
                    ServerCall c;
                    while ((c = calls.poll()) != null) {
                        c.dropped();
                    }
                }
                return false;
            }
        }

        private void drain() {
            final Drainer self = (Drainer) Thread.currentThread();
            self.lane = this;
            lastDrainer = self;
            try {
                for (;;) {
                    ServerCall call;
                    while ((call = calls.poll()) != null) {
                        started.lazySet(started.get() + 1);
                        call.run();
                    }
                    deliverNow();
                    // One drainer per lane stays, parked, for the next batch: handing a batch to a thread that
                    // has just left the pool's queue would make the pool create a new thread each time.
                    final boolean stays = !shutdown && resident.compareAndSet(null, self);
                    drainers.decrementAndGet();
                    // A call queued after the poll above and before the decrement saw a drainer and did not
                    // start one: take it, unless another drainer has meanwhile.
                    if (!calls.isEmpty() && drainers.compareAndSet(0, 1)) {
                        if (stays && !resident.compareAndSet(self, null)) {
                            // endOfTurn took this drainer meanwhile, counting it too: one count is enough.
                            drainers.decrementAndGet();
                        }
                        continue;
                    }
                    if (!stays || !parkUntilTaken(self)) {
                        return;
                    }
                    // Taken by endOfTurn, which counted this drainer.
                    lastDrainer = self;
                }
            } finally {
                self.lane = null;
            }
        }

        /**
         * Parks the lane's resident drainer until {@link #endOfTurn} takes it (true) or it was idle for
         * {@link #RESIDENT_IDLE_NANOS} or the server stopped (false: the thread goes back to the pool).
         */
        private boolean parkUntilTaken(Thread self) {
            final long deadline = System.nanoTime() + RESIDENT_IDLE_NANOS;
            while (resident.get() == self) {
                final long left = deadline - System.nanoTime();
                if (left <= 0 || shutdown) {
                    if (resident.compareAndSet(self, null)) {
                        return false;
                    }
                    break;
                }
                LockSupport.parkNanos(this, left);
            }
            return true;
        }

        /** Wakes the parked drainer on shutdown. */
        private void releaseResident() {
            final Thread t = resident.get();
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        /**
         * Hands a call's reply to its connection: batched when called on one of this lane's drainers while
         * more calls are waiting, else now.
         */
        void complete(ServerCall call, ServerCall.Reply reply) {
            call.completeWith(reply);
            final Thread t = Thread.currentThread();
            if (t instanceof Drainer && ((Drainer) t).lane == this) {
                completions.offer(call);
                if (calls.peek() == null || ++deferredCount >= MAX_DEFERRED_REPLIES) {
                    deliverNow();
                }
                return;
            }
            completions.offer(call);
            deliverNow();
        }

        private void deliverNow() {
            deferredCount = 0;
            if (!completions.isEmpty() && completionsScheduled.compareAndSet(false, true)) {
                try {
                    loop.execute(deliverTask);
                } catch (RejectedExecutionException e) {
                    // The I/O thread has stopped: the connections are closed.
                    completionsScheduled.set(false);
                    ServerCall c;
                    while ((c = completions.poll()) != null) {
                        c.dropped();
                    }
                }
            }
        }

        private void deliverCompletions() {
            completionsScheduled.set(false);
            ServerCall c;
            while ((c = completions.poll()) != null) {
                c.deliver();
            }
        }
    }
}
