package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;

/**
 * Serves a precomputed round-robin order: O(1), lock-free and allocation-free per pick.
 *
 * <p>The order is an {@link IndexSequence} s(0), s(1), ... that is eventually periodic: {@code
 * prefix} steps of transient, then a cycle of {@code period} steps. The table holds s(0) to
 * s(prefix + period - 1); an atomic position counter maps pick number {@code m} to {@code m} while
 * inside the table, and to {@code prefix + (m - prefix) % period} after it. This is how Kitex's
 * {@code WeightedRoundRobinPicker} works (its table is its {@code vnodes}, with no prefix), and it
 * gives the same sequence as running the policy's queue or loop under a lock.
 *
 * <p>The table is filled lazily, in batches of {@value #BATCH} as in Kitex, because one smooth-WRR
 * step costs O(n): a picker over n instances costs O(BATCH * n) to build, and the rest is paid by
 * the picks that first reach it. Filled entries are published by a volatile write of {@code built},
 * so the fast path is a volatile read plus two array reads.
 *
 * <p>A table longer than {@code maxTable} entries is not built; {@link #smoothWeighted} and {@link
 * #interleaved} return a {@link LockedSequencePicker} instead, which yields the same sequence.
 */
final class CyclicPicker implements Picker {

    /** Kitex's {@code wrrVNodesBatchSize}. */
    static final int BATCH = 500;

    /**
     * Largest table built: 4 Mi entries, 16 MiB with compressed references. Kitex has no limit and
     * allocates the whole table up front; e.g. two instances with weights 5,000,000 and 4,999,999
     * need a 10 M entry cycle.
     */
    static final int MAX_TABLE = 1 << 22;

    private final Instance[] table;
    private final int prefix;
    private final int period;
    private final PaddedCounter position;

    // Guarded by this: the generator and the fill level it has reached.
    private final Instance[] nodes;
    private final IndexSequence sequence;
    private volatile int built;

    private CyclicPicker(Instance[] nodes, IndexSequence sequence, int prefix, int period, long first) {
        this.nodes = nodes;
        this.sequence = sequence;
        this.prefix = prefix;
        this.period = period;
        this.table = new Instance[prefix + period];
        this.position = new PaddedCounter(first);
        synchronized (this) {
            fill(Math.min(BATCH, table.length));
        }
    }

    /**
     * Smooth weighted round robin over {@code instances} rotated left by {@code rotation}, at
     * parity with Kitex's {@code WeightedRoundRobinPicker} for the same rotation.
     *
     * @param instances the instances, all with weight &gt; 0, not all equal
     * @param rotation Kitex's random {@code offset}: node i is {@code instances[(i + rotation) % n]}
     * @param maxTable the largest table to build (see {@link #MAX_TABLE})
     */
    static Picker smoothWeighted(Instance[] instances, int rotation, int maxTable) {
        Instance[] nodes = rotate(instances, rotation);
        SmoothWrrSequence sequence = new SmoothWrrSequence(weights(nodes));
        // Kitex's counter starts at 0 and is incremented before use, so its first pick is vnode 1,
        // not vnode 0. Parity with Go means the same quirk.
        if (sequence.period() > maxTable) {
            sequence.next();
            return new LockedSequencePicker(nodes, sequence);
        }
        return new CyclicPicker(nodes, sequence, 0, (int) sequence.period(), 1);
    }

    /**
     * Interleaved weighted round robin over {@code instances} rotated left by {@code rotation}, at
     * parity with Kitex's {@code InterleavedWeightedRoundRobinPicker} for the same rotation.
     *
     * @param instances the instances, all with weight &gt; 0, not all equal
     * @param rotation Kitex's random {@code offset}
     * @param maxTable the largest table to build
     */
    static Picker interleaved(Instance[] instances, int rotation, int maxTable) {
        Instance[] nodes = rotate(instances, rotation);
        InterleavedWrrSequence sequence = new InterleavedWrrSequence(weights(nodes));
        long round = sequence.round();
        long prefix = sequence.firstRoundIsSteady() ? 0 : round;
        if (prefix + round > maxTable) {
            return new LockedSequencePicker(nodes, sequence);
        }
        return new CyclicPicker(nodes, sequence, (int) prefix, (int) round, 0);
    }

    @Override
    public Instance pick(String hashKey) {
        long m = position.getAndIncrement();
        int index = m < table.length ? (int) m : prefix + (int) ((m - prefix) % period);
        if (index < built) {
            return table[index];
        }
        return slowPick(index);
    }

    private synchronized Instance slowPick(int index) {
        if (index >= built) {
            // At least one more batch, and at least up to index: with many threads a pick can land
            // further than one batch ahead.
            fill(Math.min(table.length, Math.max(built + BATCH, index + 1)));
        }
        return table[index];
    }

    // Caller holds the lock.
    private void fill(int target) {
        for (int i = built; i < target; i++) {
            table[i] = nodes[sequence.next()];
        }
        built = target; // publishes the entries written above
    }

    /** Length of the precomputed table (prefix plus one period). */
    int tableLength() {
        return table.length;
    }

    static Instance[] rotate(Instance[] instances, int rotation) {
        int n = instances.length;
        if (rotation < 0 || rotation >= n) {
            throw new IllegalArgumentException("rotation " + rotation + " for " + n + " instances");
        }
        Instance[] nodes = new Instance[n];
        for (int i = 0; i < n; i++) {
            nodes[i] = instances[(i + rotation) % n];
        }
        return nodes;
    }

    private static int[] weights(Instance[] nodes) {
        int[] weights = new int[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            weights[i] = nodes[i].weight();
        }
        return weights;
    }

    @Override
    public String toString() {
        return "CyclicPicker{instances=" + nodes.length + ", prefix=" + prefix + ", period=" + period + '}';
    }
}
