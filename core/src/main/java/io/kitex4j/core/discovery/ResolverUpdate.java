package io.kitex4j.core.discovery;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One change of a service's view, as handed to a {@link ResolverListener}.
 *
 * <p>The three lists compare {@code previous} and {@code current} by address, as Kitex's
 * {@code discovery.DefaultDiff} does: an address that appears is <em>added</em>, one that
 * disappears is <em>removed</em>, and one whose weight changed is <em>updated</em>. Unlike Kitex,
 * which ignores tags (a FIXME in its code), a change of tags or network also counts as
 * <em>updated</em>, so that tag-based routing sees it. When two keys carry the same address, the
 * later one in key order stands for it, as in Kitex.
 *
 * <p>An update may change only the state (for example {@code OK} to {@code UNREACHABLE}), or
 * only the {@linkplain ResolvedInstances#skipped() skipped keys}, with three empty lists.
 *
 * @param previous the view before this change; {@link ResolvedInstances.State#SYNCING} and empty
 *     for the first update a listener receives
 * @param current the view after this change, the same as {@link ServiceWatch#snapshot()} returned
 *     when the update was made
 * @param added instances whose address is new, in key order
 * @param removed instances whose address is gone, as they were
 * @param updated instances whose weight, tags or network changed, as they are now
 */
public record ResolverUpdate(
        ResolvedInstances previous,
        ResolvedInstances current,
        List<Instance> added,
        List<Instance> removed,
        List<Instance> updated) {

    public ResolverUpdate {
        requireNonNull(previous, "previous");
        requireNonNull(current, "current");
        added = List.copyOf(requireNonNull(added, "added"));
        removed = List.copyOf(requireNonNull(removed, "removed"));
        updated = List.copyOf(requireNonNull(updated, "updated"));
    }

    /** Whether an instance was added, removed or updated. */
    public boolean instancesChanged() {
        return !added.isEmpty() || !removed.isEmpty() || !updated.isEmpty();
    }

    /** Whether the state changed. */
    public boolean stateChanged() {
        return previous.state() != current.state();
    }

    /** A summary; the full lists of a large service would flood a log line. */
    @Override
    public String toString() {
        return "ResolverUpdate{service=" + current.service() + ", " + previous.state() + " -> " + current.state()
                + ", added=" + added.size() + ", removed=" + removed.size() + ", updated=" + updated.size() + '}';
    }
}
