package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;

/** Looks a key up on a consistent-hash ring built by {@link ConsistentHashBalancer}. */
final class ConsistentHashPicker implements Picker {
    private final long[] flippedHashes; // vnode hash ^ Long.MIN_VALUE, ascending (signed)
    private final Instance[] owners; // owner of each vnode

    ConsistentHashPicker(long[] flippedHashes, Instance[] owners) {
        this.flippedHashes = flippedHashes;
        this.owners = owners;
    }

    @Override
    public Instance pick(String hashKey) {
        if (hashKey == null || hashKey.isEmpty()) {
            return null;
        }
        return owners[indexOf(Xxh3.hash(hashKey))];
    }

    /**
     * Index of the first vnode whose hash is strictly greater than {@code keyHash}, both unsigned,
     * or 0 if there is none (the ring wraps). This is Kitex's {@code sort.Search(..., hash > key)}.
     */
    int indexOf(long keyHash) {
        long key = keyHash ^ Long.MIN_VALUE;
        long[] h = flippedHashes;
        int lo = 0;
        int hi = h.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (h[mid] > key) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo == h.length ? 0 : lo;
    }

    /** Ring size, for tests. */
    int size() {
        return owners.length;
    }

    /** The unsigned hash of vnode {@code v} in ring order, for tests. */
    long hashAt(int v) {
        return flippedHashes[v] ^ Long.MIN_VALUE;
    }

    /** The owner of vnode {@code v} in ring order, for tests. */
    Instance ownerAt(int v) {
        return owners[v];
    }

    @Override
    public String toString() {
        return "ConsistentHashPicker{vnodes=" + owners.length + '}';
    }
}
