package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;

/**
 * Picks the instance for one RPC from a fixed instance list.
 *
 * <p>Rules for implementations:
 *
 * <ul>
 *   <li>Thread-safe: {@link #pick(String)} is called concurrently by every thread issuing RPCs.
 *   <li>Cheap: {@code pick} is called once per RPC attempt, so it must be O(1) or O(log n) and
 *       should not allocate in the steady state.
 *   <li>Pickers are immutable views of one instance list; a new list means a new picker (built by
 *       {@link LoadBalancer#newPicker(java.util.List)}). Round-robin state lives in the picker, so
 *       keep the picker while the list is unchanged, as Kitex does, or the rotation restarts.
 * </ul>
 */
public interface Picker {

    /**
     * Picks an instance.
     *
     * @param hashKey the request's key; only consistent hashing ({@code "consist"}) reads it, every
     *     other policy ignores it. For consistent hashing a {@code null} or empty key yields {@code
     *     null}, as Kitex does for an empty key.
     * @return the instance, or {@code null} when there is none to pick (an empty list, every weight
     *     invalid, or a missing key for consistent hashing)
     */
    Instance pick(String hashKey);

    /**
     * Picks an instance without a key: the same as {@code pick(null)}. With consistent hashing this
     * always returns {@code null}.
     *
     * @return the instance, or {@code null} when there is none to pick
     */
    default Instance pick() {
        return pick(null);
    }
}
