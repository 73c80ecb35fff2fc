package io.kitex4j.core.health;

/**
 * How healthy a process, a registration or a resolver view is as a mesh member. Ordered from best
 * to worst; {@link #worst(HealthStatus)} combines two. See {@link MeshHealth} for the rules.
 *
 * <p>A Spring Boot {@code HealthIndicator} maps {@code UP} to {@code Status.UP}, {@code DOWN} to
 * {@code Status.DOWN}, and {@code DEGRADED} to a custom status (or {@code UP} with the details), as
 * the application prefers.
 */
public enum HealthStatus {
    /** Registered and reachable; every view current. */
    UP,
    /**
     * Serving, but something is wrong that the process is working on: etcd cannot be reached,
     * so registrations are being retried and views may be stale. Clients keep using the last known
     * instances, so calls usually still succeed.
     */
    DEGRADED,
    /** Not a working mesh member: a registration gave up, or was deregistered, or an outage outlasted the configured limit. */
    DOWN;

    /** The worse of this status and {@code other}. */
    public HealthStatus worst(HealthStatus other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
