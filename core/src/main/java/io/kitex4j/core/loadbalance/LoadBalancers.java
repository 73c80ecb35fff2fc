package io.kitex4j.core.loadbalance;

/**
 * The load balancers of Kitex's {@code pkg/loadbalance}, with the same names and the same picks.
 *
 * <p>Every balancer returned here is immutable, thread-safe and shareable; the no-argument factories
 * return singletons. Parity with Kitex (checked against Kitex v0.16.1 by this module's tests):
 *
 * <ul>
 *   <li><b>Weights.</b> The three weighted policies drop instances with weight &le; 0 and log a
 *       warning, as Kitex does; with none left the picker returns {@code null}. If all remaining
 *       weights are equal they use plain round robin (from a random start) or plain random.
 *   <li><b>Randomness.</b> Each round-robin picker starts at a random rotation of the instance
 *       list (Kitex's {@code fastrand} offset), so two clients do not hit the same instance in
 *       step; for the same rotation its picks are Kitex's, in the same order. The random policy
 *       builds Kitex's alias table bit for bit and draws from {@link
 *       java.util.concurrent.ThreadLocalRandom}.
 *   <li><b>Cost.</b> Building a picker is O(n) for the random policy, up to O(500 n) for smooth
 *       round robin (see {@link #weightedRoundRobin()}) and O(v) for consistent hashing with v
 *       virtual nodes. A pick is O(1) without locks or allocation, except consistent hashing: O(log
 *       v), allocating only to encode a non-ASCII key.
 * </ul>
 */
public final class LoadBalancers {

    private LoadBalancers() {}

    /**
     * Smooth weighted round robin, Kitex's default ({@code "weight_round_robin"}).
     *
     * <p>Nginx's algorithm: each step adds every weight to its node's current value, picks the
     * largest (first on ties) and subtracts the total weight from it, which spreads the picks of a
     * heavy instance instead of sending them in a burst; weights 5,1,1 give A,A,B,A,C,A,A rather
     * than A,A,A,A,A,B,C. As in Kitex the node list is rotated by a random offset, the cycle of
     * {@code sum(w) / gcd(w)} picks is precomputed (lazily, 500 steps at a time, each O(n)) and
     * picks walk it with an atomic counter whose first value is 1, so the first pick is the cycle's
     * second entry. Equal weights: plain round robin from a random start.
     *
     * <p>A cycle longer than 4,194,304 entries is not precomputed; picks then run the algorithm
     * under a lock (same sequence, O(n) per pick). Kitex would allocate the whole cycle.
     *
     * @return the shared smooth weighted round-robin balancer
     */
    public static LoadBalancer weightedRoundRobin() {
        return WeightedBalancer.ROUND_ROBIN;
    }

    /**
     * Weighted random with Vose's alias method, O(1) per pick ({@code
     * "weight_random_with_alias_method"}). Instance {@code i} is picked with probability {@code
     * w_i / sum(w)}; equal weights: uniform random. Uses {@link
     * java.util.concurrent.ThreadLocalRandom}, so picks never contend.
     *
     * @return the shared alias-method weighted random balancer
     */
    public static LoadBalancer weightedRandom() {
        return WeightedBalancer.RANDOM_WITH_ALIAS_METHOD;
    }

    /**
     * Interleaved weighted round robin ({@code "interleaved_weighted_round_robin"}).
     *
     * <p>Kitex's two-queue algorithm: instances take turns, each staying in the rotation for {@code
     * w / gcd(w)} turns per round. Weights A3,B1 give A,B,A,A or B,A,A,A depending on the random
     * start. Kitex's queues reorder the nodes after the first round: every later round visits them
     * by ascending weight (stable), so A3,B1 starting with A gives A,B,A,A then B,A,A,A forever. This
     * implementation precomputes the same sequence and serves it lock-free (Kitex uses a mutex).
     * Equal weights: plain round robin from a random start.
     *
     * @return the shared interleaved weighted round-robin balancer
     */
    public static LoadBalancer interleavedWeightedRoundRobin() {
        return WeightedBalancer.INTERLEAVED;
    }

    /**
     * Consistent hashing with Kitex's defaults ({@code "consist"}, {@code VirtualFactor} 100,
     * {@code Weighted} true): the same key goes to the same instance as in a Go client of Kitex
     * v0.12 to v0.16.1.
     *
     * <p>The key is {@link Picker#pick(String)}'s {@code hashKey}, hashed as UTF-8 with XXH3-64
     * (seed 0); a {@code null} or empty key picks {@code null}. Each instance gets {@code weight *
     * 100} virtual nodes, so weight 0 (or below) gets none but is not otherwise ignored: its address
     * length still shapes every other virtual node's hash, as in Go. A picker over instances whose
     * weights are all &le; 0 returns {@code null} (Kitex panics).
     *
     * <p>Kitex v0.16.2 and later hash with Go's {@code hash/maphash} and a random seed per process;
     * no other process, Go or Java, can reproduce those placements.
     *
     * @return the shared consistent-hash balancer with Kitex's default options
     */
    public static LoadBalancer consistentHash() {
        return ConsistentHashBalancer.DEFAULT;
    }

    /**
     * Consistent hashing with Kitex's {@code ConsistentHashOption.VirtualFactor} and {@code
     * Weighted} set explicitly; see {@link #consistentHash()}.
     *
     * @param virtualFactor virtual nodes per unit of weight (weighted) or per instance (not
     *     weighted); must be &gt; 0, as Kitex requires. A picker may hold at most 2<sup>26</sup>
     *     virtual nodes in all, or {@link LoadBalancer#newPicker} throws {@link
     *     IllegalArgumentException}; Kitex recommends staying under 20 million.
     * @param weighted whether the virtual node count is {@code weight * virtualFactor}; if false
     *     every instance, whatever its weight, gets {@code virtualFactor} virtual nodes
     * @return a consistent-hash balancer with these options
     * @throws IllegalArgumentException if {@code virtualFactor <= 0}
     */
    public static LoadBalancer consistentHash(int virtualFactor, boolean weighted) {
        if (virtualFactor == 100 && weighted) {
            return ConsistentHashBalancer.DEFAULT;
        }
        return new ConsistentHashBalancer(virtualFactor, weighted);
    }

    /**
     * The balancer Kitex uses when none is configured.
     *
     * @return {@link #weightedRoundRobin()}
     */
    public static LoadBalancer defaultBalancer() {
        return weightedRoundRobin();
    }
}
