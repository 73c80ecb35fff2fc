package io.kitex4j.core.health;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationState;
import io.kitex4j.core.discovery.Registry;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.discovery.ServiceWatch;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Whether this process is healthy as a mesh member: its registrations are in etcd and its
 * resolvers' views are current. Built once over the registries, registrations, resolvers and
 * watches to look at; each {@link #check()} reads their current state (it never blocks and never
 * calls etcd) and returns an immutable {@link MeshHealthReport}.
 *
 * <pre>{@code
 * MeshHealth health = MeshHealth.builder().registry(registry).resolver(resolver).build();
 * MeshHealthReport report = health.check();
 * report.status();    // UP, DEGRADED or DOWN
 * report.details();   // per registration and per service, for a health endpoint
 * }</pre>
 *
 * <h2>Rules</h2>
 * A registration ({@link Registration#state()}):
 * <ul>
 *   <li>{@code REGISTERED}: {@code UP}.
 *   <li>{@code REGISTERING}: {@code UP} during the start-up grace (counted from {@link Builder#build()}),
 *       {@code DEGRADED} after it.
 *   <li>{@code RETRYING}: {@code DEGRADED}, for the time since {@link Registration#lastContact()} (since
 *       {@code build()} if etcd never answered); {@code DOWN} once that exceeds {@link Builder#downAfter},
 *       if set.
 *   <li>{@code FAILED} (the registry gave up) and {@code DEREGISTERED}: {@code DOWN}. A registry's
 *       {@link Registry#registrations()} no longer lists deregistered ones, so this applies to a registration
 *       given with {@link Builder#registration}.
 * </ul>
 * A view ({@link ServiceWatch#snapshot()}, {@link Resolver#views()}):
 * <ul>
 *   <li>{@code OK} and {@code NO_INSTANCES}: {@code UP}; etcd answered, and an empty service is the
 *       callee's problem, not this process's.
 *   <li>{@code SYNCING}: {@code UP} during the start-up grace, {@code DEGRADED} after it.
 *   <li>{@code UNREACHABLE}: {@code DEGRADED}, with the staleness {@link ResolvedInstances#staleness(Instant)};
 *       {@code DOWN} once it exceeds {@link Builder#downAfter}, if set. Clients keep calling the last
 *       known instances meanwhile.
 * </ul>
 * The report's status is the worst of all; {@code UP} if there is nothing to look at. A service
 * seen through several sources appears once, with its worst view; a registration listed by a
 * registry and given explicitly appears once.
 *
 * <p>Thread-safe and immutable; {@code check()} may be called from any thread, as often as a
 * health endpoint is polled.
 */
public final class MeshHealth {

    /** The default start-up grace: 30 s, the registry's default start-up timeout. */
    public static final Duration DEFAULT_STARTUP_GRACE = Duration.ofSeconds(30);

    private final List<Registry> registries;
    private final List<Registration> registrations;
    private final List<Resolver> resolvers;
    private final List<ServiceWatch> watches;
    private final Duration startupGrace;
    private final Duration downAfter;
    private final Clock clock;
    private final Instant createdAt;

    private MeshHealth(Builder b) {
        this.registries = List.copyOf(b.registries);
        this.registrations = List.copyOf(b.registrations);
        this.resolvers = List.copyOf(b.resolvers);
        this.watches = List.copyOf(b.watches);
        this.startupGrace = b.startupGrace;
        this.downAfter = b.downAfter;
        this.clock = b.clock;
        this.createdAt = clock.instant();
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Reads the current state of everything given to the builder and applies the rules above. */
    public MeshHealthReport check() {
        final Instant now = clock.instant();
        final Set<Registration> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        final List<RegistrationHealth> regs = new ArrayList<>();
        for (Registry registry : registries) {
            for (Registration r : registry.registrations()) {
                if (seen.add(r)) {
                    regs.add(registration(r, now));
                }
            }
        }
        for (Registration r : registrations) {
            if (seen.add(r)) {
                regs.add(registration(r, now));
            }
        }
        regs.sort(Comparator.comparing(RegistrationHealth::key));

        final Map<String, ViewHealth> byService = new TreeMap<>();
        for (Resolver resolver : resolvers) {
            resolver.views().forEach(v -> addView(byService, view(v, now)));
        }
        for (ServiceWatch w : watches) {
            addView(byService, view(w.snapshot(), now));
        }
        HealthStatus status = HealthStatus.UP;
        for (RegistrationHealth r : regs) {
            status = status.worst(r.status());
        }
        for (ViewHealth v : byService.values()) {
            status = status.worst(v.status());
        }
        return new MeshHealthReport(status, now, regs, new ArrayList<>(byService.values()));
    }

    private static void addView(Map<String, ViewHealth> byService, ViewHealth v) {
        byService.merge(v.service(), v, (a, b) -> b.status().ordinal() > a.status().ordinal() ? b : a);
    }

    private RegistrationHealth registration(Registration r, Instant now) {
        final RegistrationState state = r.state();
        final Instant contact = r.lastContact().orElse(null);
        final Duration since = state == RegistrationState.REGISTERED ? Duration.ZERO
                : nonNegative(Duration.between(contact != null ? contact : createdAt, now));
        final Throwable error = r.lastError();
        final HealthStatus status;
        final String reason;
        switch (state) {
            case REGISTERED -> {
                status = HealthStatus.UP;
                reason = null;
            }
            case REGISTERING -> {
                final boolean inGrace = inStartupGrace(now);
                status = inGrace ? HealthStatus.UP : HealthStatus.DEGRADED;
                reason = inGrace ? null : "still registering after the start-up grace of " + startupGrace;
            }
            case RETRYING -> {
                status = exceedsDownAfter(since) ? HealthStatus.DOWN : HealthStatus.DEGRADED;
                reason = "retrying, " + since + " since etcd last answered" + errorText(error);
            }
            case FAILED -> {
                status = HealthStatus.DOWN;
                reason = "failed: the registry gave up" + errorText(error);
            }
            default -> {
                status = HealthStatus.DOWN;
                reason = "deregistered";
            }
        }
        return new RegistrationHealth(r.key(), state, status, contact, since, reason);
    }

    private ViewHealth view(ResolvedInstances v, Instant now) {
        final Duration staleness = v.staleness(now);
        final HealthStatus status;
        final String reason;
        switch (v.state()) {
            case OK, NO_INSTANCES -> {
                status = HealthStatus.UP;
                reason = null;
            }
            case SYNCING -> {
                final boolean inGrace = inStartupGrace(now);
                status = inGrace ? HealthStatus.UP : HealthStatus.DEGRADED;
                reason = inGrace ? null : "no answer from etcd yet, after the start-up grace of " + startupGrace;
            }
            default -> {
                status = exceedsDownAfter(staleness) ? HealthStatus.DOWN : HealthStatus.DEGRADED;
                reason = "etcd unreachable, instances possibly " + staleness + " out of date"
                         + errorText(v.lastError());
            }
        }
        return new ViewHealth(v.service(), v.state(), status, v.instances().size(), v.lastContact(), staleness,
                              reason);
    }

    private boolean inStartupGrace(Instant now) {
        return Duration.between(createdAt, now).compareTo(startupGrace) <= 0;
    }

    private boolean exceedsDownAfter(Duration d) {
        return downAfter != null && d.compareTo(downAfter) > 0;
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    private static String errorText(Throwable error) {
        return error == null ? "" : ": " + error;
    }

    @Override
    public String toString() {
        return "MeshHealth{registries=" + registries.size() + ", registrations=" + registrations.size()
               + ", resolvers=" + resolvers.size() + ", watches=" + watches.size() + ", startupGrace=" + startupGrace
               + (downAfter != null ? ", downAfter=" + downAfter : "") + '}';
    }

    /** Builds a {@link MeshHealth}; every source method may be called several times. Not thread-safe. */
    public static final class Builder {
        private final List<Registry> registries = new ArrayList<>();
        private final List<Registration> registrations = new ArrayList<>();
        private final List<Resolver> resolvers = new ArrayList<>();
        private final List<ServiceWatch> watches = new ArrayList<>();
        private Duration startupGrace = DEFAULT_STARTUP_GRACE;
        private Duration downAfter;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** Looks at every registration of {@code registry} ({@link Registry#registrations()}) at each check. */
        public Builder registry(Registry registry) {
            registries.add(requireNonNull(registry, "registry"));
            return this;
        }

        /** Looks at one registration, e.g. one from a registry that does not list its registrations. */
        public Builder registration(Registration registration) {
            registrations.add(requireNonNull(registration, "registration"));
            return this;
        }

        /** Looks at every view of {@code resolver} ({@link Resolver#views()}) at each check. */
        public Builder resolver(Resolver resolver) {
            resolvers.add(requireNonNull(resolver, "resolver"));
            return this;
        }

        /** Looks at one watch's view. The caller keeps owning (and closing) the watch. */
        public Builder watch(ServiceWatch watch) {
            watches.add(requireNonNull(watch, "watch"));
            return this;
        }

        /**
         * How long after {@link #build()} a registration still {@code REGISTERING} or a view still
         * {@code SYNCING} counts as {@code UP}; default {@link #DEFAULT_STARTUP_GRACE}. Zero or more.
         */
        public Builder startupGrace(Duration startupGrace) {
            this.startupGrace = requireNonNull(startupGrace, "startupGrace");
            return this;
        }

        /**
         * After how long a {@code RETRYING} registration or an {@code UNREACHABLE} view turns from
         * {@code DEGRADED} to {@code DOWN}; by default never. A value near the registry's lease TTL
         * makes {@code DOWN} mean "clients have probably stopped seeing this process". Positive.
         */
        public Builder downAfter(Duration downAfter) {
            this.downAfter = requireNonNull(downAfter, "downAfter");
            return this;
        }

        /** The clock for the durations in the rules; default {@link Clock#systemUTC()}. For tests. */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds it; the start-up grace starts now.
         *
         * @throws IllegalArgumentException if {@code startupGrace} is negative or {@code downAfter} not positive
         */
        public MeshHealth build() {
            if (startupGrace.isNegative()) {
                throw new IllegalArgumentException("startupGrace: " + startupGrace + " (expected: >= 0)");
            }
            if (downAfter != null && (downAfter.isNegative() || downAfter.isZero())) {
                throw new IllegalArgumentException("downAfter: " + downAfter + " (expected: > 0)");
            }
            return new MeshHealth(this);
        }
    }
}
