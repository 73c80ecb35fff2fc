package io.kitex4j.core.internal.log;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * One kind of event that outsiders can cause (a malformed frame, a bad etcd value, a refused
 * connection): counted always, logged at most {@code burst} times per period. The first line of a
 * period carries the stack trace of a {@code Throwable} given as the last argument; later lines
 * carry only its {@code toString()}, escaped and truncated with {@link LogValues#escape}, unless DEBUG is on for the logger. When lines were suppressed,
 * the next line logged says how many. So a flood of bad input costs a counter, not a disk.
 *
 * <p>Thread-safe and lock-free. Values from outside must still be passed through
 * {@link LogValues#escape} by the caller: this class does not know which arguments came from where.
 *
 * <p>Internal: not part of kitex4j's API.
 */
public final class RateLimitedLog {

    /** The default period: 10 seconds. */
    public static final long DEFAULT_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The default number of lines per period. */
    public static final int DEFAULT_BURST = 5;

    private final Logger logger;
    private final Level level;
    private final String kind;
    private final long periodNanos;
    private final int burst;

    private final LongAdder count = new LongAdder();
    private final AtomicLong periodStart;
    private final AtomicLong loggedInPeriod = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    /**
     * @param logger where lines go
     * @param level the level of every line but the DEBUG details
     * @param kind a short stable name of the event kind, e.g. {@code "nesting_too_deep"}; it is what
     *     counters are reported under
     */
    public RateLimitedLog(Logger logger, Level level, String kind) {
        this(logger, level, kind, DEFAULT_PERIOD_NANOS, DEFAULT_BURST);
    }

    public RateLimitedLog(Logger logger, Level level, String kind, long periodNanos, int burst) {
        if (periodNanos <= 0) {
            throw new IllegalArgumentException("periodNanos: " + periodNanos + " (expected: > 0)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        this.logger = logger;
        this.level = level;
        this.kind = kind;
        this.periodNanos = periodNanos;
        this.burst = burst;
        this.periodStart = new AtomicLong(System.nanoTime());
    }

    /** The event kind's name. */
    public String kind() {
        return kind;
    }

    /** How many times the event happened, logged or not. */
    public long count() {
        return count.sum();
    }

    /**
     * Counts the event and logs it unless this period's lines are used up. A {@code Throwable} as the
     * last argument is logged with its stack trace only on a period's first line or at DEBUG.
     */
    public void log(String format, Object... args) {
        count.increment();
        final long now = System.nanoTime();
        final long start = periodStart.get();
        boolean first = false;
        if (now - start >= periodNanos && periodStart.compareAndSet(start, now)) {
            loggedInPeriod.set(0);
            first = true;
        }
        final long n = loggedInPeriod.incrementAndGet();
        if (n > burst) {
            suppressed.incrementAndGet();
            return;
        }
        first |= n == 1;
        final long dropped = suppressed.getAndSet(0);
        Object[] a = args;
        final boolean hasThrowable = a.length > 0 && a[a.length - 1] instanceof Throwable;
        if (hasThrowable && (first || logger.isDebugEnabled())) {
            a = a.clone();
            a[a.length - 1] = LogValues.escapeMessages((Throwable) a[a.length - 1]);
        } else if (hasThrowable) {
            a = a.clone();
            // Escaped: an exception's message often embeds a value from outside.
            a[a.length - 1] = LogValues.escape(a[a.length - 1].toString(), 2 * LogValues.MAX_CHARS);
        }
        String f = format;
        if (hasThrowable && a[a.length - 1] instanceof String) {
            f = format + ": {}";
        }
        if (dropped > 0) {
            f = f + " [" + dropped + " more '" + kind + "' events not logged]";
        }
        logger.atLevel(level).log(f, a);
    }
}
