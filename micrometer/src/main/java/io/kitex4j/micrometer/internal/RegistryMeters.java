package io.kitex4j.micrometer.internal;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationListener;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.registry.EtcdRegistration;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.registry.KeyLayout;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The meters of one {@link EtcdRegistry}'s registrations; see {@code DiscoveryMetrics} for the names.
 * A registration gets its meters when it is first seen (bind time, or its first state change);
 * a new registration of the same key replaces them.
 */
public final class RegistryMeters implements AutoCloseable {

    private final EtcdRegistry registry;
    private final MeterRegistry meters;
    private final Tags common;
    private final Map<String, Bound> byKey = new ConcurrentHashMap<>();
    private final RegistrationListener listener = this::onStateChanged;

    private record Bound(Registration registration, List<Meter> meters) {}

    /** Binds the meters of {@code registry}'s registrations, now and later, to {@code meters}. */
    public RegistryMeters(EtcdRegistry registry, MeterRegistry meters, Iterable<Tag> common) {
        this.registry = requireNonNull(registry, "registry");
        this.meters = requireNonNull(meters, "meters");
        this.common = Tags.of(common);
        // Listener first, then the list: a registration made in between is seen by one or both.
        registry.addListener(listener);
        registry.registrations().forEach(this::ensure);
    }

    private void onStateChanged(Registration r, RegistrationState from, RegistrationState to, Throwable cause) {
        ensure(r);
    }

    private void ensure(Registration r) {
        byKey.compute(r.key(), (key, bound) -> {
            if (bound != null && bound.registration() == r) {
                return bound;
            }
            if (bound != null) {
                bound.meters().forEach(meters::remove);
            }
            return new Bound(r, register(r));
        });
    }

    private List<Meter> register(Registration r) {
        final KeyLayout.ServiceKey parsed = registry.keyLayout().parseKey(r.key());
        final Tags tags = common.and("service", parsed != null ? parsed.service() : r.key(),
                                     "address", r.instance().address());
        final List<Meter> list = new ArrayList<>();
        for (RegistrationState s : RegistrationState.values()) {
            list.add(Gauge.builder("kitex.registry.registration.state", r, x -> x.state() == s ? 1 : 0)
                    .description("1 for the registration's current state, 0 for the others")
                    .tags(tags).tag("state", s.name())
                    .register(meters));
        }
        list.add(Gauge.builder("kitex.registry.contact.age", r, RegistryMeters::contactAgeSeconds)
                .description("Seconds since etcd last answered about the registration (keepalive, check, put); "
                             + "NaN before the first answer")
                .baseUnit("seconds")
                .tags(tags)
                .register(meters));
        if (r instanceof EtcdRegistration etcd) {
            list.add(FunctionCounter.builder("kitex.registry.reregistrations", etcd, EtcdRegistration::reRegistrations)
                    .description("Times the key was put again under a new lease after its first registration")
                    .tags(tags)
                    .register(meters));
        }
        return List.copyOf(list);
    }

    private static double contactAgeSeconds(Registration r) {
        return r.lastContact()
                .map(t -> Math.max(0, Duration.between(t, Instant.now()).toNanos()) / 1e9)
                .orElse(Double.NaN);
    }

    /** Stops following the registry and removes the meters. */
    @Override
    public void close() {
        registry.removeListener(listener);
        byKey.values().forEach(b -> b.meters().forEach(meters::remove));
        byKey.clear();
    }
}
