package io.kitex4j.resolver;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.internal.TaskScope;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every {@link EtcdServiceWatcher} of one resolver is given, fixed when the resolver is built,
 * so that a watcher never reads its resolver's fields.
 *
 * @param client the connection's jetcd client
 * @param config how etcd is reached, to diagnose failures
 * @param loop the resolver's share of the connection's scheduler thread
 * @param listenerExecutor where listeners run
 * @param callTimeout how long a read or a watch's creation may take before the view is unreachable
 * @param emptyIsError whether a service without instances is {@code NO_INSTANCES} rather than {@code OK}
 * @param defaultWeight what a weight &le; 0 reads as
 * @param skippedValues the resolver's rate limit for skipped keys' WARN lines
 * @param watchesStarted counts the etcd watches opened, for tests of the sharing
 */
record WatcherContext(Client client, EtcdClientConfig config, TaskScope loop, Executor listenerExecutor,
                      Duration callTimeout, boolean emptyIsError, int defaultWeight, RateLimitedLog skippedValues,
                      AtomicLong watchesStarted) {

    WatcherContext {
        requireNonNull(client, "client");
        requireNonNull(config, "config");
        requireNonNull(loop, "loop");
        requireNonNull(listenerExecutor, "listenerExecutor");
        requireNonNull(callTimeout, "callTimeout");
        requireNonNull(skippedValues, "skippedValues");
        requireNonNull(watchesStarted, "watchesStarted");
    }
}
