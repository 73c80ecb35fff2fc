package io.kitex4j.core.health;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of one {@link MeshHealth#check()}. Immutable.
 *
 * @param status the worst status among the registrations and views; {@code UP} if there are none
 * @param checkedAt when the check ran (by the {@link MeshHealth}'s clock)
 * @param registrations one entry per registration, sorted by key
 * @param views one entry per watched service, sorted by service name
 */
public record MeshHealthReport(HealthStatus status, Instant checkedAt, List<RegistrationHealth> registrations,
                               List<ViewHealth> views) {

    /** Checks and copies the components. */
    public MeshHealthReport {
        requireNonNull(status, "status");
        requireNonNull(checkedAt, "checkedAt");
        registrations = List.copyOf(requireNonNull(registrations, "registrations"));
        views = List.copyOf(requireNonNull(views, "views"));
    }

    /**
     * Everything but the status as nested maps of strings and numbers, ready for a health
     * endpoint's JSON or a Spring {@code Health.Builder.withDetails(...)}:
     * {@code {"checkedAt": ..., "registrations": {key: {...}}, "views": {service: {...}}}}, with the
     * entries of {@link RegistrationHealth#details()} and {@link ViewHealth#details()}.
     */
    public Map<String, Object> details() {
        final Map<String, Object> regs = new LinkedHashMap<>();
        registrations.forEach(r -> regs.put(r.key(), r.details()));
        final Map<String, Object> vs = new LinkedHashMap<>();
        views.forEach(v -> vs.put(v.service(), v.details()));
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("checkedAt", checkedAt.toString());
        m.put("registrations", java.util.Collections.unmodifiableMap(regs));
        m.put("views", java.util.Collections.unmodifiableMap(vs));
        return java.util.Collections.unmodifiableMap(m);
    }
}
