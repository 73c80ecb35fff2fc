package io.kitex4j.benchmarks.load;

import org.HdrHistogram.Histogram;

/** Prints the result line shared by {@link LoadRunner} and {@link NettyEcho} (same fields as the Go clients). */
final class LoadResult {
    // HotSpot's ThreadMXBean, which counts the bytes each thread allocates.
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    private LoadResult() {
    }

    /** Histogram values are microseconds. */
    static void print(String client, String transport, int concurrency, int payload, Histogram h, long errors,
            double elapsedSeconds) {
        print(client, transport, concurrency, payload, h, errors, elapsedSeconds, -1);
    }

    /** As above, with the bytes the client JVM allocated per call ({@code -1}: not measured). */
    static void print(String client, String transport, int concurrency, int payload, Histogram h, long errors,
            double elapsedSeconds, long allocatedPerCall) {
        final long calls = h.getTotalCount();
        final double qps = calls / elapsedSeconds;
        final double mean = calls == 0 ? 0 : h.getMean();
        final long p50 = h.getValueAtPercentile(50);
        final long p99 = h.getValueAtPercentile(99);
        final long p999 = h.getValueAtPercentile(99.9);
        System.out.printf(java.util.Locale.ROOT,
                "{\"event\":\"bench\",\"client\":\"%s\",\"transport\":\"%s\",\"concurrency\":%d,\"payload\":%d,"
                        + "\"calls\":%d,\"qps\":%.1f,\"meanUs\":%.1f,\"p50Us\":%d,\"p99Us\":%d,\"p999Us\":%d,\"errors\":%d%s}%n",
                client, transport, concurrency, payload, calls, qps, mean, p50, p99, p999, errors,
                allocatedPerCall >= 0 ? ",\"allocBytesPerCall\":" + allocatedPerCall : "");
        System.err.printf(java.util.Locale.ROOT,
                "%s %s c=%d b=%d: QPS %.0f, mean %.1f us, p50 %d us, p99 %d us, p999 %d us, errors %d%n",
                client, transport, concurrency, payload, qps, mean, p50, p99, p999, errors);
        System.out.flush();
    }

    /** Logback at WARN: the benchmarks jar has no logback.xml, and DEBUG output would cost throughput. */
    static void quietLogging() {
        final org.slf4j.Logger root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    /**
     * Bytes allocated so far by the threads alive now (HotSpot's per-thread TLAB accounting). Threads
     * that end before the second reading take their count with them, so short-lived threads must add
     * their own share through {@link #currentThreadAllocatedBytes()}.
     */
    static long allocatedBytes() {
        long sum = 0;
        for (long a : THREADS.getThreadAllocatedBytes(THREADS.getAllThreadIds())) {
            if (a > 0) {
                sum += a;
            }
        }
        return sum;
    }

    static long currentThreadAllocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    static long parseDurationMillis(String s) {
        s = s.trim();
        if (s.endsWith("ms")) {
            return Long.parseLong(s.substring(0, s.length() - 2));
        }
        if (s.endsWith("s")) {
            return (long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000);
        }
        if (s.endsWith("m")) {
            return (long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 60_000);
        }
        return (long) (Double.parseDouble(s) * 1000);
    }
}
