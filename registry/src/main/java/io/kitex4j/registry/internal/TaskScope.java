package io.kitex4j.registry.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One user's share of an {@link EtcdResources}' scheduler thread: a registry's or a resolver's
 * tasks. Closing the scope drops its tasks, queued or scheduled, without touching the thread, which
 * other registries and resolvers on the same connection keep using.
 *
 * <p>A dropped scheduled task stays in the scheduler's queue until its delay ends (or it is
 * cancelled, which removes it at once), and then does nothing.
 */
public final class TaskScope {

    private static final Logger logger = LoggerFactory.getLogger(TaskScope.class);

    private final ScheduledExecutorService scheduler;
    private final String owner;
    private volatile boolean closed;

    TaskScope(ScheduledExecutorService scheduler, String owner) {
        this.scheduler = requireNonNull(scheduler, "scheduler");
        this.owner = requireNonNull(owner, "owner");
    }

    /** Runs {@code task} on the scheduler thread; false if this scope or the scheduler is closed. */
    public boolean execute(Runnable task) {
        if (closed) {
            return false;
        }
        try {
            scheduler.execute(guarded(task));
            return true;
        } catch (RejectedExecutionException e) {
            logger.debug("{}: the etcd connection is closed, dropping a task", owner);
            return false;
        }
    }

    /** Runs {@code task} on the scheduler thread after {@code delay}; {@code null} if closed. */
    public ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Runs {@code task} on the scheduler thread after {@code delay}; {@code null} if closed. */
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        if (closed) {
            return null;
        }
        try {
            return scheduler.schedule(guarded(task), delay, unit);
        } catch (RejectedExecutionException e) {
            logger.debug("{}: the etcd connection is closed, dropping a scheduled task", owner);
            return null;
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Drops every task of this scope not yet started, and refuses new ones. Idempotent. */
    public void close() {
        closed = true;
    }

    private Runnable guarded(Runnable task) {
        requireNonNull(task, "task");
        // The executor would swallow an exception into a future nobody reads.
        return () -> {
            if (closed) {
                return;
            }
            try {
                task.run();
            } catch (Throwable t) {
                logger.error("unexpected error in the {} loop", owner, t);
            }
        };
    }
}
