package io.kitex4j.core.loadbalance;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.discovery.Instance;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three weighted policies, sharing Kitex's {@code weightedBalancer.createPicker}: drop weights
 * &le; 0 with a warning, return the empty picker if nothing is left, use the plain (round-robin or
 * random) picker if every weight is equal, and the weighted picker otherwise.
 */
final class WeightedBalancer implements LoadBalancer {
    private static final Logger log = LoggerFactory.getLogger(WeightedBalancer.class);

    enum Kind {
        ROUND_ROBIN("weight_round_robin"),
        INTERLEAVED("interleaved_weighted_round_robin"),
        RANDOM_WITH_ALIAS_METHOD("weight_random_with_alias_method");

        final String kitexName;

        Kind(String kitexName) {
            this.kitexName = kitexName;
        }
    }

    static final WeightedBalancer ROUND_ROBIN = new WeightedBalancer(Kind.ROUND_ROBIN, CyclicPicker.MAX_TABLE);
    static final WeightedBalancer INTERLEAVED = new WeightedBalancer(Kind.INTERLEAVED, CyclicPicker.MAX_TABLE);
    static final WeightedBalancer RANDOM_WITH_ALIAS_METHOD =
            new WeightedBalancer(Kind.RANDOM_WITH_ALIAS_METHOD, CyclicPicker.MAX_TABLE);

    private final Kind kind;
    private final int maxTable;

    /** @param maxTable the largest round-robin table a picker precomputes (tests lower it) */
    WeightedBalancer(Kind kind, int maxTable) {
        this.kind = requireNonNull(kind, "kind");
        this.maxTable = maxTable;
    }

    @Override
    public String name() {
        return kind.kitexName;
    }

    @Override
    public Picker newPicker(List<Instance> instances) {
        return newPicker(instances, null);
    }

    /**
     * Builds a picker with a given source of randomness, for deterministic tests.
     *
     * @param random draws the rotation or start position, and for the random policy every pick;
     *     {@code null} means {@link ThreadLocalRandom}. If not null and the picker is random and
     *     shared between threads, it must be thread-safe.
     */
    Picker newPicker(List<Instance> instances, RandomGenerator random) {
        requireNonNull(instances, "instances");
        Instance[] kept = new Instance[instances.size()];
        int count = 0;
        boolean balanced = true;
        for (Instance instance : instances) {
            requireNonNull(instance, "instances contains null");
            int weight = instance.weight();
            if (weight <= 0) {
                // Kitex logs and skips; the resolver normally turns weight <= 0 into the default
                // weight, so this only happens when that default is configured as <= 0.
                log.warn("invalid weight, weight={} instance={}", weight, instance.address());
                continue;
            }
            if (count > 0 && kept[count - 1].weight() != weight) {
                balanced = false;
            }
            kept[count++] = instance;
        }
        if (count == 0) {
            return EmptyPicker.INSTANCE;
        }
        if (count != kept.length) {
            kept = Arrays.copyOf(kept, count);
        }
        RandomGenerator r = random != null ? random : ThreadLocalRandom.current();
        switch (kind) {
            case ROUND_ROBIN:
                return balanced
                        ? new RoundRobinPicker(kept, r.nextInt(count))
                        : CyclicPicker.smoothWeighted(kept, r.nextInt(count), maxTable);
            case INTERLEAVED:
                return balanced
                        ? new RoundRobinPicker(kept, r.nextInt(count))
                        : CyclicPicker.interleaved(kept, r.nextInt(count), maxTable);
            case RANDOM_WITH_ALIAS_METHOD:
                return balanced ? new RandomPicker(kept, random) : new AliasMethodPicker(kept, random);
            default:
                throw new AssertionError(kind);
        }
    }

    @Override
    public String toString() {
        return "LoadBalancer{" + kind.kitexName + '}';
    }
}
