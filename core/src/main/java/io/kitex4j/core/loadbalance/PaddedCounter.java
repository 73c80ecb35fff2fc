package io.kitex4j.core.loadbalance;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A position counter alone on its cache line.
 *
 * <p>Every pick of a round-robin picker increments one shared counter, so the counter's cache line
 * moves between cores on every RPC. Padding keeps unrelated fields (and other counters) off that
 * line, which is what Kitex's 64-byte {@code round} struct does. The JVM may reorder fields within
 * a class but not across a class hierarchy, hence the three classes.
 */
final class PaddedCounter extends PaddedCounterValue {
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup()
                    .findVarHandle(PaddedCounterValue.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    PaddedCounter(long initial) {
        value = initial;
    }

    /** Atomically adds one and returns the previous value. */
    long getAndIncrement() {
        return (long) VALUE.getAndAdd(this, 1L);
    }
}

abstract class PaddedCounterLhs {
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
}

abstract class PaddedCounterValue extends PaddedCounterLhs {
    volatile long value;
}
