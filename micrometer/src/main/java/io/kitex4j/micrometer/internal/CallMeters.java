package io.kitex4j.micrometer.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.kitex4j.core.rpc.CallOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The meters of one (side, caller, callee, method, transport), registered once and then only updated: the request
 * counter of each result, the duration timer, the active requests gauge and, on a client, the attempts summary.
 */
final class CallMeters {

    /** The {@code result} tag values, indexed by {@link #resultIndex}. */
    static final String[] RESULTS = {"success", "biz_error", "timeout", "failure"};

    private final Counter[] requests = new Counter[RESULTS.length];
    private final Timer duration;
    private final AtomicInteger active = new AtomicInteger();
    private final DistributionSummary attempts;

    CallMeters(MeterRegistry registry, MeterNames names, Tags tags, boolean percentileHistograms, boolean client) {
        for (int i = 0; i < RESULTS.length; i++) {
            requests[i] = Counter.builder(names.requests).tags(tags).tag("result", RESULTS[i])
                                 .description("Calls completed, by result").baseUnit("requests").register(registry);
        }
        duration = Timer.builder(names.duration).tags(tags).publishPercentileHistogram(percentileHistograms)
                        .description("Call duration, from the middleware's start to the call's outcome")
                        .register(registry);
        Gauge.builder(names.active, active, AtomicInteger::get).tags(tags)
             .description("Calls started and not completed yet").baseUnit("requests").register(registry);
        attempts = client ? DistributionSummary.builder(names.attempts).tags(tags)
                                               .description("Attempts per call (invocations of the client's "
                                                            + "transport by the middleware inside this one)")
                                               .baseUnit("attempts").register(registry)
                          : null;
    }

    static int resultIndex(CallOutcome outcome) {
        return switch (outcome) {
            case SUCCESS -> 0;
            case DECLARED_EXCEPTION, BIZ_STATUS -> 1;
            case TIMEOUT -> 2;
            case FAILURE -> 3;
        };
    }

    void started() {
        active.incrementAndGet();
    }

    void finished(CallOutcome outcome, long nanos, int attempt) {
        active.decrementAndGet();
        requests[resultIndex(outcome)].increment();
        duration.record(nanos, TimeUnit.NANOSECONDS);
        if (attempts != null) {
            attempts.record(attempt);
        }
    }
}
