package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/** Kitex's {@code randomPicker}: used by the random policy when every weight is equal. */
final class RandomPicker implements Picker {
    private final Instance[] instances;
    private final RandomGenerator random; // null: ThreadLocalRandom, which needs no locking

    /**
     * @param instances the instances, owned by this picker
     * @param random the source of randomness, or {@code null} for {@link ThreadLocalRandom}; a
     *     non-null source must be thread-safe if the picker is shared (tests pass a seeded one)
     */
    RandomPicker(Instance[] instances, RandomGenerator random) {
        if (instances.length == 0) {
            throw new IllegalArgumentException("no instances");
        }
        this.instances = instances;
        this.random = random;
    }

    @Override
    public Instance pick(String hashKey) {
        RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
        return instances[r.nextInt(instances.length)];
    }

    @Override
    public String toString() {
        return "RandomPicker{instances=" + instances.length + '}';
    }
}
