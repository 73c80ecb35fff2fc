package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.loadbalance.Picker;
import java.util.ArrayList;
import java.util.List;

/**
 * A picker that leaves out the instances whose address is marked in {@link RefusedAddresses}.
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
 */
final class AvoidingPicker implements Picker {

    private static final Instance[] NONE = new Instance[0];

    private final List<Instance> instances;
    private final LoadBalancer balancer;
    private final RefusedAddresses refused;
    private final Picker all;
    private volatile View view;

    /** The picker for one marked set, as of a {@link RefusedAddresses#version()}. */
    private record View(long version, Instance[] marked, Picker picker) {}

    AvoidingPicker(List<Instance> instances, LoadBalancer balancer, RefusedAddresses refused) {
        this.instances = List.copyOf(instances);
        this.balancer = balancer;
        this.refused = refused;
        this.all = balancer.newPicker(this.instances);
        this.view = new View(Long.MIN_VALUE, NONE, all);
    }

    @Override
    public Instance pick(String hashKey) {
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
        return "AvoidingPicker{instances=" + instances.size() + ", marked=" + v.marked.length + ", " + all + '}';
    }
}
