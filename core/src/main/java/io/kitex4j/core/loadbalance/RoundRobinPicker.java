package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;

/**
 * Kitex's {@code RoundRobinPicker}: used by the round-robin policies when every weight is equal.
 *
 * <p>Kitex starts an atomic 64-bit counter at a random value, increments it before each pick and
 * picks {@code counter % n}. Only the start modulo {@code n} is observable, so this picker starts at
 * a random value in {@code [0, n)}: the same distribution of start positions, and the counter cannot
 * overflow (2<sup>63</sup> picks would take centuries), so a plain {@code %} is exact.
 */
final class RoundRobinPicker implements Picker {
    private final Instance[] instances;
    private final PaddedCounter counter;

    /**
     * @param instances the instances, owned by this picker
     * @param start the counter value before the first pick; the first pick is {@code
     *     instances[(start + 1) % n]}, as in Kitex. Must be in {@code [0, n)}.
     */
    RoundRobinPicker(Instance[] instances, long start) {
        if (instances.length == 0 || start < 0 || start >= instances.length) {
            throw new IllegalArgumentException("start " + start + " for " + instances.length + " instances");
        }
        this.instances = instances;
        this.counter = new PaddedCounter(start);
    }

    @Override
    public Instance pick(String hashKey) {
        long next = counter.getAndIncrement() + 1; // Kitex's atomic.AddUint64 returns the new value
        return instances[(int) (next % instances.length)];
    }

    @Override
    public String toString() {
        return "RoundRobinPicker{instances=" + instances.length + '}';
    }
}
