package io.kitex4j.thriftrpc.server;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import io.kitex4j.core.internal.log.RateLimitedLog;

/**
 * The counters and rate-limited logs of one server's {@link RejectionKind}s. Values from the wire in
 * the lines must already be escaped ({@link io.kitex4j.core.internal.log.LogValues#escape}). Thread-safe.
 */
final class ServerRejections {

    private final EnumMap<RejectionKind, RateLimitedLog> logs = new EnumMap<>(RejectionKind.class);

    ServerRejections(long periodNanos, int burst) {
        for (RejectionKind kind : RejectionKind.values()) {
            final Level level = kind == RejectionKind.INTERNAL_ERROR ? Level.ERROR
                                : kind == RejectionKind.IN_FLIGHT_LIMIT ? Level.INFO : Level.WARN;
            logs.put(kind, new RateLimitedLog(LoggerFactory.getLogger(kind.loggerClass), level, kind.metricName(),
                                              periodNanos, burst));
        }
    }

    /**
     * Counts one event of {@code kind} and logs it in one line unless the kind's lines of this period are
     * used up. A {@code Throwable} as last argument gets its stack trace only on the period's first line
     * (or at DEBUG).
     */
    void log(RejectionKind kind, String format, Object... args) {
        logs.get(kind).log(format, args);
    }

    /** An immutable snapshot of the counters, every kind included. */
    Map<RejectionKind, Long> snapshot() {
        final EnumMap<RejectionKind, Long> m = new EnumMap<>(RejectionKind.class);
        logs.forEach((kind, log) -> m.put(kind, log.count()));
        return Collections.unmodifiableMap(m);
    }
}
