package io.kitex4j.core.loadbalance;

/**
 * Interleaved weighted round robin, step by step, as Kitex's {@code
 * InterleavedWeightedRoundRobinPicker}.
 *
 * <p>Two FIFO queues. Every node starts in the current queue with {@code remainder = weight}. A step
 * takes the head of the current queue (swapping the queues first if it is empty) and subtracts
 * {@code gcd(w)} from its remainder; if some remains the node goes to the back of the current queue,
 * otherwise its remainder is reset and it goes to the back of the next queue.
 *
 * <p>Consequence (not obvious from Kitex's code, and checked against Go by the tests): a round is
 * {@code sum(w) / gcd(w)} steps, and the nodes finish a round ordered by {@code w / gcd} with ties in
 * the order they started the round. So the first round follows the initial (rotated) order, and
 * every later round follows that order stably sorted by weight. For weights A3, B1 starting with A
 * this gives A,B,A,A then B,A,A,A forever.
 *
 * <p>The queues are two fixed int rings: no allocation per step.
 */
final class InterleavedWrrSequence implements IndexSequence {
    private final int[] weights;
    private final int[] remainder;
    private final int gcd;
    private final long round;
    private final boolean firstRoundIsSteady;

    private int[] current;
    private int currentHead;
    private int currentSize;
    private int[] next;
    private int nextHead;
    private int nextSize;

    /** @param weights the node weights, all &gt; 0, in node order */
    InterleavedWrrSequence(int[] weights) {
        int n = weights.length;
        this.weights = weights.clone();
        this.remainder = weights.clone();
        int g = 0;
        long total = 0;
        boolean sorted = true;
        for (int i = 0; i < n; i++) {
            if (weights[i] <= 0) {
                throw new IllegalArgumentException("weight " + weights[i]);
            }
            g = SmoothWrrSequence.gcd(g, weights[i]);
            total += weights[i];
            if (i > 0 && weights[i] < weights[i - 1]) {
                sorted = false;
            }
        }
        this.gcd = g;
        this.round = total / g;
        // Finishing order is by w/gcd, i.e. by w; if the start order is already sorted by weight,
        // every round, including the first, has the same order.
        this.firstRoundIsSteady = sorted;
        this.current = new int[n];
        this.next = new int[n];
        for (int i = 0; i < n; i++) {
            current[i] = i;
        }
        this.currentSize = n;
    }

    /** Steps in one round: {@code sum(w) / gcd(w)}. */
    long round() {
        return round;
    }

    /** Whether the first round already has the steady order (no transient before the period). */
    boolean firstRoundIsSteady() {
        return firstRoundIsSteady;
    }

    @Override
    public int next() {
        int n = weights.length;
        if (currentSize == 0) {
            int[] q = current;
            current = next;
            next = q;
            currentHead = nextHead;
            currentSize = nextSize;
            nextHead = 0;
            nextSize = 0;
        }
        int node = current[currentHead];
        currentHead = currentHead + 1 == n ? 0 : currentHead + 1;
        currentSize--;
        remainder[node] -= gcd;
        if (remainder[node] > 0) {
            current[(currentHead + currentSize) % n] = node;
            currentSize++;
        } else {
            remainder[node] = weights[node];
            next[(nextHead + nextSize) % n] = node;
            nextSize++;
        }
        return node;
    }
}
