package io.kitex4j.core.health;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.ResolvedInstances;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The health of one resolver view (one watched service) at the time of a
 * {@link MeshHealth#check()}. Immutable.
 *
 * @param service the service name
 * @param state the view's state
 * @param status what {@link MeshHealth}'s rules make of it
 * @param instances how many instances the view holds (the last known ones when {@code UNREACHABLE})
 * @param lastContact {@link ResolvedInstances#lastContact()}: when etcd last backed the view, or {@code null}
 * @param staleness {@link ResolvedInstances#staleness(Instant)} at the check: zero unless {@code UNREACHABLE}
 * @param reason why the status is not {@code UP}, or {@code null} when {@code UP}
 */
public record ViewHealth(String service, ResolvedInstances.State state, HealthStatus status, int instances,
                         Instant lastContact, Duration staleness, String reason) {

    /** Checks the non-null components. */
    public ViewHealth {
        requireNonNull(service, "service");
        requireNonNull(state, "state");
        requireNonNull(status, "status");
        requireNonNull(staleness, "staleness");
    }

    /** The components as a map of strings and numbers, like {@link RegistrationHealth#details()}. */
    public Map<String, Object> details() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status.name());
        m.put("state", state.name());
        m.put("instances", instances);
        if (lastContact != null) {
            m.put("lastContact", lastContact.toString());
        }
        m.put("staleness", staleness.toString());
        if (reason != null) {
            m.put("reason", reason);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
