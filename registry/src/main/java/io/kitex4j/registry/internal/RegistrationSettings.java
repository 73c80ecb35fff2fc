package io.kitex4j.registry.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What one registration needs to know of its registry's configuration, fixed when the registry is
 * built, so that a registration never reads its registry's fields.
 *
 * @param etcdDescription the endpoints, for messages
 * @param callTimeout the limit of one etcd call
 * @param dialTimeout when the first attempt's silence is diagnosed
 * @param startupTimeout how long the register() future waits
 * @param leaseTtlSeconds the TTL requested for each lease
 * @param maxAttempts consecutive failures after which a registration gives up; 0 never
 * @param observeDelay time between checks of a registered key
 * @param retryDelay time between attempts after a failure, before jitter
 * @param retryJitter spread of retry delays, in [0, 1)
 */
public record RegistrationSettings(String etcdDescription, Duration callTimeout, Duration dialTimeout,
                                   Duration startupTimeout, long leaseTtlSeconds, int maxAttempts,
                                   Duration observeDelay, Duration retryDelay, double retryJitter) {

    /** Checks that nothing is missing; the builder has checked the ranges. */
    public RegistrationSettings {
        requireNonNull(etcdDescription, "etcdDescription");
        requireNonNull(callTimeout, "callTimeout");
        requireNonNull(dialTimeout, "dialTimeout");
        requireNonNull(startupTimeout, "startupTimeout");
        requireNonNull(observeDelay, "observeDelay");
        requireNonNull(retryDelay, "retryDelay");
    }

    /** {@code delay} spread by the jitter, so that instances restarted together do not retry in step. */
    public Duration jittered(Duration delay) {
        if (retryJitter == 0) {
            return delay;
        }
        final double factor = 1 + retryJitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        return Duration.ofNanos((long) (delay.toNanos() * factor));
    }
}
