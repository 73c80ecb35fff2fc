package io.kitex4j.core.discovery;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a resolver knows about one service at one moment: the instances, how fresh they are, and
 * why, if they are not.
 *
 * <p>Immutable. The {@link #state()} tells the four situations a caller must treat differently:
 * <ul>
 *   <li>{@link State#SYNCING}: the first read from etcd has not finished; {@link #instances()} is
 *       empty and means nothing yet.
 *   <li>{@link State#OK}: the instances are etcd's current view (kept current by a watch).
 *   <li>{@link State#NO_INSTANCES}: etcd answered and the service has no instance. This is what
 *       Go's resolver reports as the error {@code "no instance remains for <service>"}.
 *   <li>{@link State#UNREACHABLE}: etcd cannot be reached right now. {@link #instances()} are the
 *       last ones etcd confirmed (empty if it never answered), possibly out of date;
 *       {@link #lastError()} says why. Callers should keep using them: an etcd outage must not take
 *       the services down with it.
 * </ul>
 *
 * @param service the service name
 * @param instances the instances in etcd key order (ascending bytes), unmodifiable; an address may
 *     appear twice if two keys carry the same {@code address}, exactly as in Go's resolver
 * @param skipped the keys under the service's prefix that are not among the instances, with the
 *     reason ({@link SkippedKey#skipReason()}): a value Go's {@code encoding/json} would refuse,
 *     or an instance no kitex4j client could dial (see the resolver's documentation); in key order,
 *     unmodifiable. Go's resolver has no such list: it skips undecodable values with a log line
 *     and keeps undialable ones
 * @param revision the etcd revision this view reflects, 0 before the first read. It goes
 *     backwards only when etcd's data was wiped or restored from a backup
 * @param state see above
 * @param lastError why the state is {@link State#UNREACHABLE}, or {@code null} in any other state
 * @param lastUpdate when the resolver produced this view
 * @param lastContact when etcd was last known to back these instances, as of {@link #lastUpdate()}:
 *     in an {@code OK} or {@code NO_INSTANCES} view, the moment it was produced (a live watch keeps it
 *     current); in an {@code UNREACHABLE} view, the last read etcd answered or the last moment the watch
 *     was known alive, so that {@code now - lastContact} is how stale the instances may be;
 *     {@code null} if etcd never answered (a {@code SYNCING} view, or {@code UNREACHABLE} before the first
 *     answer)
 */
public record ResolvedInstances(
        String service,
        List<Instance> instances,
        List<SkippedKey> skipped,
        long revision,
        State state,
        Throwable lastError,
        Instant lastUpdate,
        Instant lastContact) {

    /** How much {@link ResolvedInstances#instances()} can be trusted. */
    public enum State {
        /** The first read from etcd has not finished. */
        SYNCING,
        /** The instances are etcd's current view. */
        OK,
        /** etcd answered: the service has no instance. */
        NO_INSTANCES,
        /** etcd cannot be reached; the instances are the last known ones. */
        UNREACHABLE
    }

    public ResolvedInstances {
        requireNonNull(service, "service");
        instances = List.copyOf(requireNonNull(instances, "instances"));
        skipped = List.copyOf(requireNonNull(skipped, "skipped"));
        requireNonNull(state, "state");
        requireNonNull(lastUpdate, "lastUpdate");
    }

    /**
     * A view whose {@link #lastContact()} follows from its state: {@code lastUpdate} for {@code OK} and
     * {@code NO_INSTANCES}, {@code null} otherwise. For resolvers that do not track etcd contact apart
     * from the view.
     */
    public ResolvedInstances(String service, List<Instance> instances, List<SkippedKey> skipped, long revision,
                             State state, Throwable lastError, Instant lastUpdate) {
        this(service, instances, skipped, revision, state, lastError, lastUpdate,
             state == State.OK || state == State.NO_INSTANCES ? lastUpdate : null);
    }

    /** A view with no skipped keys, for resolvers that have nothing to skip; see the 7-argument constructor. */
    public ResolvedInstances(String service, List<Instance> instances, long revision, State state,
                             Throwable lastError, Instant lastUpdate) {
        this(service, instances, List.of(), revision, state, lastError, lastUpdate);
    }

    /**
     * How long the instances may have been out of date at {@code now}: zero unless the state is
     * {@link State#UNREACHABLE}; then the time since {@link #lastContact()}, or since {@link #lastUpdate()}
     * if etcd never answered. Never negative.
     */
    public Duration staleness(Instant now) {
        requireNonNull(now, "now");
        if (state != State.UNREACHABLE) {
            return Duration.ZERO;
        }
        final Duration d = Duration.between(lastContact != null ? lastContact : lastUpdate, now);
        return d.isNegative() ? Duration.ZERO : d;
    }

    /** The view before the first read: no instances, state {@link State#SYNCING}. */
    public static ResolvedInstances syncing(String service) {
        return new ResolvedInstances(service, List.of(), 0, State.SYNCING, null, Instant.now());
    }

    /**
     * Whether the instances may be out of date because etcd cannot be reached. They are still the
     * best information there is.
     */
    public boolean isStale() {
        return state == State.UNREACHABLE;
    }

    /** Whether there is no instance to call. */
    public boolean isEmpty() {
        return instances.isEmpty();
    }

    /** A summary; the full list of a large service would flood a log line. */
    @Override
    public String toString() {
        return "ResolvedInstances{service=" + service + ", state=" + state + ", instances=" + instances.size()
                + (skipped.isEmpty() ? "" : ", skipped=" + skipped.size())
                + ", revision=" + revision
                + (lastError != null ? ", lastError=" + lastError : "")
                + ", lastUpdate=" + lastUpdate
                + (lastContact != null && !lastContact.equals(lastUpdate) ? ", lastContact=" + lastContact : "") + '}';
    }
}
