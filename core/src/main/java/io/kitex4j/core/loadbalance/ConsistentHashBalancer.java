package io.kitex4j.core.loadbalance;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.Instance;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kitex's consistent hashing ({@code consist.go}) as of v0.16.1: a sorted ring of XXH3-64 virtual
 * node hashes, looked up with the first hash strictly greater than the key's.
 *
 * <p>Virtual node {@code j} of an instance hashes a buffer of fixed length {@code L = maxAddrLen + 1
 * + digits(maxVnodes)}: the address's bytes, {@code '#'}, zero bytes, and then the decimal digits of
 * {@code j} as raw values 0x00-0x09 (not ASCII), right-aligned. {@code maxAddrLen} is the longest
 * address in the list, weight-0 instances included, and {@code maxVnodes} the largest vnode count
 * of one instance; so adding a longer address re-hashes every vnode, as in Go. Vnode 0 is all
 * zeros after the '#'.
 */
final class ConsistentHashBalancer implements LoadBalancer {
    private static final Logger log = LoggerFactory.getLogger(ConsistentHashBalancer.class);

    /** Kitex's {@code NewConsistentHashOption} defaults: 100 vnodes per unit of weight. */
    static final ConsistentHashBalancer DEFAULT = new ConsistentHashBalancer(100, true);

    /** Upper bound on vnodes in one ring: 12 bytes each, so about 800 MB. Kitex recommends &le; 20 M. */
    static final long MAX_VNODES = 1L << 26;

    private final int virtualFactor;
    private final boolean weighted;

    ConsistentHashBalancer(int virtualFactor, boolean weighted) {
        if (virtualFactor <= 0) {
            throw new IllegalArgumentException("virtualFactor must be > 0: " + virtualFactor);
        }
        this.virtualFactor = virtualFactor;
        this.weighted = weighted;
    }

    @Override
    public String name() {
        return "consist";
    }

    @Override
    public Picker newPicker(List<Instance> instances) {
        requireNonNull(instances, "instances");
        int n = instances.size();
        Instance[] all = new Instance[n];
        byte[][] addresses = new byte[n][];
        long[] vnodeCounts = new long[n];
        long total = 0;
        long maxCount = 0;
        int maxAddrLen = 0;
        for (int i = 0; i < n; i++) {
            Instance instance = requireNonNull(instances.get(i), "instances contains null");
            all[i] = instance;
            addresses[i] = instance.address().getBytes(StandardCharsets.UTF_8);
            // Kitex does not filter weight <= 0 here: the instance gets no vnode but its address
            // still counts for the buffer length. A negative weight makes Kitex panic (negative
            // slice length); we give it no vnode too.
            long count = weighted ? (long) Math.max(instance.weight(), 0) * virtualFactor : virtualFactor;
            if (weighted && instance.weight() <= 0) {
                log.warn("invalid weight, weight={} instance={}: no virtual node, never picked",
                        instance.weight(), instance.address());
            }
            vnodeCounts[i] = count;
            total += count;
            maxCount = Math.max(maxCount, count);
            maxAddrLen = Math.max(maxAddrLen, addresses[i].length);
        }
        if (total == 0) {
            // Kitex returns nil for an empty list, and panics (index out of range) when every
            // instance has weight 0; both are "nothing to pick" here.
            return EmptyPicker.INSTANCE;
        }
        if (total > MAX_VNODES) {
            throw new IllegalArgumentException("too many virtual nodes: " + total + " > " + MAX_VNODES
                    + "; lower the weights or the virtual factor");
        }

        int length = maxAddrLen + 1 + decimalDigits(maxCount);
        byte[] buffer = new byte[length];
        long[] hashes = new long[(int) total];
        int[] owners = new int[(int) total];
        int cursor = 0;
        for (int i = 0; i < n; i++) {
            byte[] address = addresses[i];
            System.arraycopy(address, 0, buffer, 0, address.length);
            buffer[address.length] = '#';
            Arrays.fill(buffer, address.length + 1, length, (byte) 0);
            int count = (int) vnodeCounts[i];
            for (int j = 0; j < count; j++) {
                // Digits of j, right-aligned, least significant last. The digit count never shrinks
                // as j grows, so the previous j's digits are always overwritten.
                for (int k = j, pos = length - 1; k > 0; k /= 10, pos--) {
                    buffer[pos] = (byte) (k % 10);
                }
                hashes[cursor] = Xxh3.hash(buffer, length);
                owners[cursor] = i;
                cursor++;
            }
        }
        UnsignedRadixSort.sort(hashes, owners);
        Instance[] ring = new Instance[hashes.length];
        for (int v = 0; v < hashes.length; v++) {
            ring[v] = all[owners[v]];
            // Flip the sign bit: signed order of the flipped values is the unsigned order of the
            // hashes, so the lookup can use plain (fast) signed comparisons.
            hashes[v] ^= Long.MIN_VALUE;
        }
        return new ConsistentHashPicker(hashes, ring);
    }

    /** Kitex's {@code utils.GetUIntLen}: decimal digits of {@code n}, 1 for 0. */
    static int decimalDigits(long n) {
        int digits = 1;
        while (n >= 10) {
            digits++;
            n /= 10;
        }
        return digits;
    }

    @Override
    public String toString() {
        return "LoadBalancer{consist, virtualFactor=" + virtualFactor + ", weighted=" + weighted + '}';
    }
}
