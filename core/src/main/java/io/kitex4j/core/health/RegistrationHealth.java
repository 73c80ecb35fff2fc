package io.kitex4j.core.health;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.RegistrationState;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The health of one registration at the time of a {@link MeshHealth#check()}. Immutable.
 *
 * @param key the registration's key ({@code Registration.key()})
 * @param state its state
 * @param status what {@link MeshHealth}'s rules make of it
 * @param lastContact when the registry last heard from etcd about it, or {@code null} if never (or not tracked)
 * @param sinceLastContact the time from {@code lastContact} (or, if {@code null}, from the creation of the
 *     {@link MeshHealth}) to the check; zero when {@code REGISTERED}
 * @param reason why the status is not {@code UP} (the state, for how long, and the last error), or
 *     {@code null} when {@code UP}
 */
public record RegistrationHealth(String key, RegistrationState state, HealthStatus status, Instant lastContact,
                                 Duration sinceLastContact, String reason) {

    /** Checks the non-null components. */
    public RegistrationHealth {
        requireNonNull(key, "key");
        requireNonNull(state, "state");
        requireNonNull(status, "status");
        requireNonNull(sinceLastContact, "sinceLastContact");
    }

    /**
     * The components as a map of strings (JSON-friendly, e.g. for a Spring health indicator's
     * details): {@code state}, {@code status}, {@code lastContact} and {@code reason} when present,
     * {@code sinceLastContact} in ISO-8601.
     */
    public Map<String, Object> details() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status.name());
        m.put("state", state.name());
        if (lastContact != null) {
            m.put("lastContact", lastContact.toString());
        }
        m.put("sinceLastContact", sinceLastContact.toString());
        if (reason != null) {
            m.put("reason", reason);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
