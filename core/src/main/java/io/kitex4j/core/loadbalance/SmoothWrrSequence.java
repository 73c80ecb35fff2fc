package io.kitex4j.core.loadbalance;

/**
 * Nginx's smooth weighted round robin, step by step, as Kitex's {@code nextWrrNode}.
 *
 * <p>Each step adds every node's weight to its current value, selects the node with the largest
 * current value (the first one on ties, so node order matters) and subtracts the total weight from
 * it. The sequence is periodic with period {@code sum(w) / gcd(w)}: scaling all weights by a
 * constant scales every current value and changes no decision, and with coprime weights every
 * current value is back to 0 after {@code sum(w)} steps.
 */
final class SmoothWrrSequence implements IndexSequence {
    private final int[] weights;
    private final long[] current; // long: a current value stays within +-sum(w), which may exceed int
    private final long totalWeight;
    private final long period;

    /** @param weights the node weights, all &gt; 0, in node order */
    SmoothWrrSequence(int[] weights) {
        this.weights = weights.clone();
        this.current = new long[weights.length];
        long total = 0;
        int gcd = 0;
        for (int w : weights) {
            if (w <= 0) {
                throw new IllegalArgumentException("weight " + w);
            }
            total += w;
            gcd = gcd(gcd, w);
        }
        this.totalWeight = total;
        this.period = total / gcd;
    }

    /** The period {@code sum(w) / gcd(w)}: Kitex's {@code vcapacity}. */
    long period() {
        return period;
    }

    @Override
    public int next() {
        int selected = -1;
        long max = 0;
        for (int i = 0; i < weights.length; i++) {
            long c = current[i] + weights[i];
            current[i] = c;
            if (selected < 0 || c > max) { // strictly greater: the first node wins ties
                selected = i;
                max = c;
            }
        }
        current[selected] -= totalWeight;
        return selected;
    }

    static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
