package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Weighted random in O(1) per pick with Vose's alias method, as Kitex's {@code AliasMethodPicker}.
 *
 * <p>The table is built with the same floating-point operations in the same order as Kitex, so
 * {@link #prob} and {@link #alias} are bit-for-bit Kitex's (the tests compare them with tables read
 * from Go). A pick draws a column uniformly, then keeps it with probability {@code prob[i]} or takes
 * its alias otherwise.
 */
final class AliasMethodPicker implements Picker {
    private final Instance[] instances;
    private final RandomGenerator random; // null: ThreadLocalRandom
    final double[] prob;
    final int[] alias;

    /**
     * @param instances the instances, all with weight &gt; 0, owned by this picker
     * @param random the source of randomness, or {@code null} for {@link ThreadLocalRandom}; a
     *     non-null source must be thread-safe if the picker is shared
     */
    AliasMethodPicker(Instance[] instances, RandomGenerator random) {
        int n = instances.length;
        if (n == 0) {
            throw new IllegalArgumentException("no instances");
        }
        this.instances = instances;
        this.random = random;
        this.prob = new double[n];
        this.alias = new int[n];

        long weightSum = 0;
        for (Instance instance : instances) {
            weightSum += instance.weight();
        }
        double[] scaled = new double[n];
        // Two stacks, pushed and popped at the end exactly like Kitex's slices: the pairing order
        // decides the table, and parity with Go needs the same table.
        int[] small = new int[n];
        int[] large = new int[n];
        int smallSize = 0;
        int largeSize = 0;
        for (int i = 0; i < n; i++) {
            scaled[i] = (double) instances[i].weight() * (double) n / (double) weightSum;
            if (scaled[i] < 1.0) {
                small[smallSize++] = i;
            } else {
                large[largeSize++] = i;
            }
        }
        while (smallSize > 0 && largeSize > 0) {
            int l = small[--smallSize];
            int g = large[--largeSize];
            prob[l] = scaled[l];
            alias[l] = g;
            scaled[g] -= 1.0 - scaled[l];
            if (scaled[g] < 1.0) {
                small[smallSize++] = g;
            } else {
                large[largeSize++] = g;
            }
        }
        // Leftovers are 1.0 up to rounding error; they keep their own column.
        while (largeSize > 0) {
            prob[large[--largeSize]] = 1.0;
        }
        while (smallSize > 0) {
            prob[small[--smallSize]] = 1.0;
        }
    }

    @Override
    public Instance pick(String hashKey) {
        RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
        int i = r.nextInt(instances.length);
        return r.nextDouble() < prob[i] ? instances[i] : instances[alias[i]];
    }

    @Override
    public String toString() {
        return "AliasMethodPicker{instances=" + instances.length + '}';
    }
}
