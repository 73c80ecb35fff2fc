package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.loadbalance.Picker;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A picker that leaves out the instances whose address is marked in {@link RefusedAddresses}, and those
 * its {@link InstanceGate} does not allow (either may be absent).
 *
 * <p>While some instances are marked, picks come from the balancer's own picker over the others,
 * built once per change of the marked set: so the weights of the healthy instances hold exactly as
 * the balancer gives them (smooth or interleaved round robin, alias-method random), which
 * re-picking and skipping would not guarantee. With consistent hashing the keys of a marked
 * instance move as if it had left the instance list, which is what Kitex does when it leaves.
 *
 * <p>When a marked instance's probe is due, the next pick returns it (one pick per backoff period),
 * whatever its hash key.
 * When every instance is marked, or the others cannot be picked (all of weight 0), picks come from
 * the full list as before: failing open beats failing every call with "no instance".
 *
 * <p>With nothing marked, a pick costs one volatile read more than the balancer's picker.
 *
 * <p>The gate is asked after the pick, as Kitex's instance circuit breaker is asked after its picker's
 * {@code Next}: a disallowed instance is skipped by picking again (the balancer's rotation moves on, as
 * Kitex's resolver middleware picks again, up to {@value #GATED_PICKS} times), then by scanning the list
 * from a random place; the gate is asked only about the instance about to be returned, so a half-open
 * breaker's probe is spent only on a call that goes there. When the gate allows no instance,
 * {@link #pick(String, Collection)} throws {@link GateRejection}.
 */
final class AvoidingPicker implements Picker {

    private static final Instance[] NONE = new Instance[0];

    private final List<Instance> instances;
    private final LoadBalancer balancer;
    /** Picks before scanning for an allowed instance: Kitex's resolver middleware's {@code maxRetry}. */
    static final int GATED_PICKS = 6;

    private final RefusedAddresses refused;
    private final InstanceGate gate;
    private final Picker all;
    private volatile View view;

    /** The picker for one marked set, as of a {@link RefusedAddresses#version()}. */
    private record View(long version, Instance[] marked, Picker picker) {}

    /**
     * @param refused the refused addresses to avoid, or {@code null}
     * @param gate the gate to ask, or {@code null}
     */
    AvoidingPicker(List<Instance> instances, LoadBalancer balancer, RefusedAddresses refused, InstanceGate gate) {
        this.instances = List.copyOf(instances);
        this.balancer = balancer;
        this.refused = refused;
        this.gate = gate;
        this.all = balancer.newPicker(this.instances);
        this.view = new View(Long.MIN_VALUE, NONE, all);
    }

    /** The pick of the balancer's picker, avoiding refused addresses; the gate is not asked. */
    private Instance pickUngated(String hashKey) {
        if (refused == null) {
            return all.pick(hashKey);
        }
        View v = view;
        final long version = refused.version();
        if (v.version != version) {
            v = refresh(version);
        }
        if (v.marked.length == 0) {
            return all.pick(hashKey);
        }
        for (Instance marked : v.marked) {
            if (refused.tryClaimProbe(marked.address())) {
                return marked;
            }
        }
        final Instance picked = v.picker.pick(hashKey);
        return picked != null ? picked : all.pick(hashKey);
    }

    /**
     * A pick; with a gate, {@code null} also when the gate allows no instance.
     */
    @Override
    public Instance pick(String hashKey) {
        if (gate == null) {
            return pickUngated(hashKey);
        }
        try {
            return pick(hashKey, List.of());
        } catch (GateRejection e) {
            return null;
        }
    }

    /** Whether a gate is asked: then {@link Endpoints#pick} leaves avoiding tried addresses to this picker. */
    boolean gated() {
        return gate != null;
    }

    /**
     * A pick the gate allows, preferring addresses not in {@code avoid} (those a call already tried).
     *
     * @return {@code null} if the balancer picks none at all (as without a gate)
     * @throws GateRejection if the gate allows none of the instances
     */
    Instance pick(String hashKey, Collection<String> avoid) {
        final Instance first = pickUngated(hashKey);
        if (first == null) {
            return null;
        }
        Instance candidate = first;
        for (int i = 0; ; ) {
            if ((avoid.isEmpty() || !avoid.contains(candidate.address())) && gate.allows(candidate)) {
                return candidate;
            }
            if (++i >= GATED_PICKS) {
                break;
            }
            candidate = pickUngated(hashKey);
            if (candidate == null) {
                break;
            }
        }
        // Consistent hashing keeps picking the same instance, and a random picker may miss the one
        // allowed: scan, healthy and untried first, then marked ones, then tried ones.
        final int n = instances.size();
        final int start = ThreadLocalRandom.current().nextInt(n);
        for (int pass = 0; pass < 3; pass++) {
            for (int k = 0; k < n; k++) {
                final Instance c = instances.get((start + k) % n);
                if (c.weight() <= 0) {
                    continue;
                }
                final boolean tried = !avoid.isEmpty() && avoid.contains(c.address());
                final boolean marked = refused != null && refused.isMarked(c.address());
                final boolean eligible = switch (pass) {
                    case 0 -> !tried && !marked;
                    case 1 -> !tried && marked;
                    default -> tried;
                };
                if (eligible && gate.allows(c)) {
                    return c;
                }
            }
        }
        throw new GateRejection(gate);
    }

    private synchronized View refresh(long version) {
        final View old = view;
        if (old.version == version) {
            return old;
        }
        final List<Instance> marked = new ArrayList<>();
        final List<Instance> healthy = new ArrayList<>(instances.size());
        for (Instance i : instances) {
            (refused.isMarked(i.address()) ? marked : healthy).add(i);
        }
        final Instance[] markedArray = marked.toArray(NONE);
        final Picker picker;
        if (java.util.Arrays.equals(markedArray, old.marked)) {
            // Another address changed: keep this picker and its round-robin position.
            picker = old.picker;
        } else if (marked.isEmpty() || healthy.isEmpty()) {
            picker = all;
        } else {
            picker = balancer.newPicker(healthy);
        }
        final View v = new View(version, markedArray, picker);
        view = v;
        return v;
    }

    @Override
    public String toString() {
        final View v = view;
        return "AvoidingPicker{instances=" + instances.size() + ", marked=" + v.marked.length
                + (gate != null ? ", gate=" + gate : "") + ", " + all + '}';
    }

    /** No instance is allowed by {@link #gate}; {@link RpcCall} turns it into the gate's rejection. */
    static final class GateRejection extends RuntimeException {
        private static final long serialVersionUID = 1L;

        final transient InstanceGate gate;

        GateRejection(InstanceGate gate) {
            super("no instance allowed by " + gate, null, false, false);
            this.gate = gate;
        }

        /** The gate's exception for a call to {@code service}. */
        RuntimeException rejection(String service) {
            final RuntimeException r = gate.rejection(service);
            return r != null ? r : new io.kitex4j.core.NoInstanceException(getMessage());
        }
    }
}
