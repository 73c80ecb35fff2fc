package io.kitex4j.core.loadbalance;

import java.util.Arrays;

/**
 * Sorts 64-bit keys as unsigned numbers, carrying an int payload along: LSD radix sort, eight
 * passes of eight bits.
 *
 * <p>Why not {@code Arrays.sort}: the payload has to follow its key, and boxing a million vnodes
 * into objects to sort them is slower and allocates far more. Radix sort is O(n), stable, and
 * unsigned by construction.
 */
final class UnsignedRadixSort {
    private UnsignedRadixSort() {}

    static void sort(long[] keys, int[] values) {
        int n = keys.length;
        if (values.length != n) {
            throw new IllegalArgumentException("keys and values differ in length");
        }
        if (n < 2) {
            return;
        }
        long[] keyBuffer = new long[n];
        int[] valueBuffer = new int[n];
        int[] counts = new int[256];
        long[] srcKeys = keys;
        int[] srcValues = values;
        long[] dstKeys = keyBuffer;
        int[] dstValues = valueBuffer;
        for (int shift = 0; shift < 64; shift += 8) {
            Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) {
                counts[(int) (srcKeys[i] >>> shift) & 0xFF]++;
            }
            if (counts[(int) (srcKeys[0] >>> shift) & 0xFF] == n) {
                continue; // every key has the same byte here: nothing to move
            }
            int sum = 0;
            for (int b = 0; b < 256; b++) {
                int c = counts[b];
                counts[b] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) {
                int slot = counts[(int) (srcKeys[i] >>> shift) & 0xFF]++;
                dstKeys[slot] = srcKeys[i];
                dstValues[slot] = srcValues[i];
            }
            long[] tk = srcKeys;
            srcKeys = dstKeys;
            dstKeys = tk;
            int[] tv = srcValues;
            srcValues = dstValues;
            dstValues = tv;
        }
        if (srcKeys != keys) {
            System.arraycopy(srcKeys, 0, keys, 0, n);
            System.arraycopy(srcValues, 0, values, 0, n);
        }
    }
}
