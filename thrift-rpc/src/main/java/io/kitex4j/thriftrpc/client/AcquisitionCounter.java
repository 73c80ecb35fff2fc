package io.kitex4j.thriftrpc.client;

import java.util.concurrent.atomic.LongAdder;

/**
 * The acquisition counters of one connection pool ({@link ConnectionPoolStats#acquisitions()},
 * {@link ConnectionPoolStats#acquisitionTimeNanos()}): adders, so that concurrent calls do not contend.
 */
final class AcquisitionCounter {

    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();

    /** One acquisition that took {@code elapsedNanos}. */
    void record(long elapsedNanos) {
        count.increment();
        nanos.add(Math.max(0, elapsedNanos));
    }

    long count() {
        return count.sum();
    }

    long totalNanos() {
        return nanos.sum();
    }
}
