package io.kitex4j.micrometer;

import static java.util.Objects.requireNonNull;

import io.kitex4j.micrometer.internal.RegistryMeters;
import io.kitex4j.micrometer.internal.ResolverMeters;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.resolver.EtcdResolver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;

/**
 * Micrometer meters for service discovery: the views of {@link EtcdResolver}s and the registrations
 * of {@link EtcdRegistry}s.
 *
 * <pre>{@code
 * DiscoveryMetrics metrics = DiscoveryMetrics.builder().registry(registry).resolver(resolver).build();
 * metrics.bindTo(meterRegistry);
 * ...
 * metrics.close();   // stops following them and removes the meters
 * }</pre>
 *
 * <h2>Meters</h2>
 * Per watched service, tag {@code service}:
 * <ul>
 *   <li>{@code kitex.resolver.instances} (gauge): instances in the view; while etcd is unreachable, the
 *       last known ones, which clients keep calling.
 *   <li>{@code kitex.resolver.staleness} (gauge, seconds): 0 while the view is current (also while
 *       {@code SYNCING}); while {@code UNREACHABLE}, the time since etcd last backed the view
 *       ({@code ResolvedInstances.staleness}), growing until etcd answers.
 *   <li>{@code kitex.resolver.view.state} (gauge, tag {@code state} = {@code SYNCING}, {@code OK},
 *       {@code NO_INSTANCES}, {@code UNREACHABLE}): 1 for the current state, 0 for the others.
 *   <li>{@code kitex.resolver.watch.reconnects} (counter): times the etcd watch ended and the resolver
 *       read the service again ({@link EtcdResolver#watchReconnects(String)}); one per etcd outage, usually.
 * </ul>
 * The gauges read NaN while the service is not watched (all its watches closed).
 *
 * <p>Per registration of this process, tags {@code service} and {@code address} (this process's own
 * addresses: bounded):
 * <ul>
 *   <li>{@code kitex.registry.registration.state} (gauge, tag {@code state} = each
 *       {@code RegistrationState}): 1 for the current state, 0 for the others.
 *   <li>{@code kitex.registry.contact.age} (gauge, seconds): time since etcd last answered about the
 *       registration (lease keep-alive, check, put); NaN before the first answer. Stays small while
 *       {@code REGISTERED} (a keep-alive every third of the lease TTL), grows during an outage.
 *   <li>{@code kitex.registry.reregistrations} (counter): times the key was put again under a new lease
 *       ({@code EtcdRegistration.reRegistrations()}): after the lease expired during an outage, etcd lost its
 *       data, or the key was deleted. An outage the lease survives does not count.
 * </ul>
 * A registration's meters appear with its first state change (or at {@link #bindTo} for existing ones); a
 * new registration of the same key replaces them. A service's meters appear with its first view.
 *
 * <p>The registry and resolver modules are optional dependencies of this module: a process binds what it
 * uses. Listeners are added to them at {@link #bindTo} ({@code EtcdRegistry.addListener},
 * {@code EtcdResolver.addListener}); nothing polls.
 *
 * <p>Thread-safe. Bind once; {@link #close()} is idempotent.
 */
public final class DiscoveryMetrics implements MeterBinder, AutoCloseable {

    private final List<EtcdRegistry> registries;
    private final List<EtcdResolver> resolvers;
    private final Tags tags;
    private final List<AutoCloseable> bound = new ArrayList<>(); // guarded by this
    private boolean bindCalled; // guarded by this
    private boolean closed; // guarded by this

    private DiscoveryMetrics(Builder b) {
        this.registries = List.copyOf(b.registries);
        this.resolvers = List.copyOf(b.resolvers);
        this.tags = b.tags;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Registers the meters with {@code registry} and follows the registries and resolvers from now on.
     *
     * @throws IllegalStateException if called before (bind to a {@code CompositeMeterRegistry} to feed
     *     several) or after {@link #close()}
     */
    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        requireNonNull(registry, "registry");
        if (closed) {
            throw new IllegalStateException("DiscoveryMetrics is closed");
        }
        if (bindCalled) {
            throw new IllegalStateException("DiscoveryMetrics is already bound (expected: one bindTo call)");
        }
        bindCalled = true;
        registries.forEach(r -> bound.add(new RegistryMeters(r, registry, tags)));
        resolvers.forEach(r -> bound.add(new ResolverMeters(r, registry, tags)));
    }

    /** Removes the listeners from the registries and resolvers, and the meters from the meter registry. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AutoCloseable c : bound) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + c + " failed", e);
            }
        }
        bound.clear();
    }

    @Override
    public String toString() {
        return "DiscoveryMetrics{registries=" + registries.size() + ", resolvers=" + resolvers.size()
               + ", tags=" + tags + '}';
    }

    /** Builds a {@link DiscoveryMetrics}. Not thread-safe. */
    public static final class Builder {
        private final List<EtcdRegistry> registries = new ArrayList<>();
        private final List<EtcdResolver> resolvers = new ArrayList<>();
        private Tags tags = Tags.empty();

        private Builder() {
        }

        /** Adds meters for every registration of {@code registry}; may be called several times. */
        public Builder registry(EtcdRegistry registry) {
            registries.add(requireNonNull(registry, "registry"));
            return this;
        }

        /** Adds meters for every service {@code resolver} watches; may be called several times. */
        public Builder resolver(EtcdResolver resolver) {
            resolvers.add(requireNonNull(resolver, "resolver"));
            return this;
        }

        /** Tags added to every meter, e.g. the etcd cluster's name when a process uses several. */
        public Builder tags(Iterable<Tag> tags) {
            this.tags = this.tags.and(requireNonNull(tags, "tags"));
            return this;
        }

        /**
         * Builds it; nothing is registered before {@link DiscoveryMetrics#bindTo}.
         *
         * @throws IllegalArgumentException if neither a registry nor a resolver was given
         */
        public DiscoveryMetrics build() {
            if (registries.isEmpty() && resolvers.isEmpty()) {
                throw new IllegalArgumentException(
                        "registry/resolver: none given (expected: at least one registry(...) or resolver(...))");
            }
            return new DiscoveryMetrics(this);
        }
    }
}
