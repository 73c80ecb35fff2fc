package io.kitex4j.resolver;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.kitex4j.core.internal.log.RateLimitedLog;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.internal.TaskScope;
import io.kitex4j.core.discovery.ResolverListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentMap;
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
 * @param reconnects per service, how many times its etcd watch ended and the service was read again;
 *     kept by the resolver across watchers, so that the counts only grow
 * @param resolverListeners told of every update of every service ({@link EtcdResolver#addListener})
 */
record WatcherContext(Client client, EtcdClientConfig config, TaskScope loop, Executor listenerExecutor,
                      Duration callTimeout, boolean emptyIsError, int defaultWeight, RateLimitedLog skippedValues,
                      AtomicLong watchesStarted, ConcurrentMap<String, AtomicLong> reconnects,
                      List<ResolverListener> resolverListeners) {

    WatcherContext {
        requireNonNull(client, "client");
        requireNonNull(config, "config");
        requireNonNull(loop, "loop");
        requireNonNull(listenerExecutor, "listenerExecutor");
        requireNonNull(callTimeout, "callTimeout");
        requireNonNull(skippedValues, "skippedValues");
        requireNonNull(watchesStarted, "watchesStarted");
        requireNonNull(reconnects, "reconnects");
        requireNonNull(resolverListeners, "resolverListeners");
    }
}
