package io.kitex4j.micrometer.internal;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.resolver.EtcdResolver;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The meters of one {@link EtcdResolver}'s views, one set per service; see {@code DiscoveryMetrics}
 * for the names. A service gets its meters when it is first seen (bind time, or its first update);
 * they read the resolver's current view at each poll, and read NaN while the service is not watched.
 */
public final class ResolverMeters implements AutoCloseable {

    private final EtcdResolver resolver;
    private final MeterRegistry meters;
    private final Tags common;
    private final Map<String, List<Meter>> byService = new ConcurrentHashMap<>();
    private final ResolverListener listener = update -> ensure(update.current().service());

    /** Binds the meters of {@code resolver}'s services, now and later, to {@code meters}. */
    public ResolverMeters(EtcdResolver resolver, MeterRegistry meters, Iterable<Tag> common) {
        this.resolver = requireNonNull(resolver, "resolver");
        this.meters = requireNonNull(meters, "meters");
        this.common = Tags.of(common);
        resolver.addListener(listener);
        resolver.views().forEach(v -> ensure(v.service()));
    }

    private void ensure(String service) {
        byService.computeIfAbsent(service, this::register);
    }

    private List<Meter> register(String service) {
        final Tags tags = common.and("service", service);
        final List<Meter> list = new ArrayList<>();
        list.add(Gauge.builder("kitex.resolver.instances", this, m -> m.read(service, v -> v.instances().size()))
                .description("Instances in the service's view; the last known ones while etcd is unreachable")
                .tags(tags)
                .register(meters));
        list.add(Gauge.builder("kitex.resolver.staleness", this,
                               m -> m.read(service, v -> v.staleness(Instant.now()).toNanos() / 1e9))
                .description("0 while the view is current; while etcd is unreachable, seconds since etcd last "
                             + "backed it")
                .baseUnit("seconds")
                .tags(tags)
                .register(meters));
        for (ResolvedInstances.State s : ResolvedInstances.State.values()) {
            list.add(Gauge.builder("kitex.resolver.view.state", this, m -> m.read(service, v -> v.state() == s ? 1 : 0))
                    .description("1 for the view's current state, 0 for the others")
                    .tags(tags).tag("state", s.name())
                    .register(meters));
        }
        list.add(FunctionCounter.builder("kitex.resolver.watch.reconnects", resolver,
                                         r -> r.watchReconnects(service))
                .description("Times the service's etcd watch ended and the resolver read the service again")
                .tags(tags)
                .register(meters));
        return List.copyOf(list);
    }

    private double read(String service, java.util.function.ToDoubleFunction<ResolvedInstances> f) {
        final ResolvedInstances v = resolver.view(service);
        return v == null ? Double.NaN : f.applyAsDouble(v);
    }

    /** Stops following the resolver and removes the meters. */
    @Override
    public void close() {
        resolver.removeListener(listener);
        byService.values().forEach(l -> l.forEach(meters::remove));
        byService.clear();
    }
}
