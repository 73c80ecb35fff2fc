package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;

/**
 * Runs a round-robin {@link IndexSequence} under a lock, one step per pick: the fallback of {@link
 * CyclicPicker} when a precomputed table would be too large. Same sequence, same allocation-free
 * picks, but contended and O(n) per pick for smooth WRR.
 */
final class LockedSequencePicker implements Picker {
    private final Instance[] nodes;
    private final IndexSequence sequence; // guarded by this

    LockedSequencePicker(Instance[] nodes, IndexSequence sequence) {
        this.nodes = nodes;
        this.sequence = sequence;
    }

    @Override
    public synchronized Instance pick(String hashKey) {
        return nodes[sequence.next()];
    }

    @Override
    public String toString() {
        return "LockedSequencePicker{instances=" + nodes.length + '}';
    }
}
