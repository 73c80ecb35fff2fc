package io.kitex4j.benchmarks;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.loadbalance.LoadBalancers;
import io.kitex4j.core.loadbalance.Picker;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Cost of one {@link Picker#pick(String)} per balancer and instance count, single-threaded.
 *
 * <p>Weights are random in 1..10 from a fixed seed, so the weighted pickers are used (not the
 * equal-weight shortcuts). Every balancer gets a key from the same rotating array, so the key
 * handling overhead is the same for all and only consistent hashing reads it. The round-robin
 * pickers are measured after warm-up, i.e. once their lazily built cycle is complete.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class PickerBenchmark {

    @Param({"weight_round_robin", "weight_random_with_alias_method", "interleaved_weighted_round_robin", "consist"})
    public String balancer;

    @Param({"10", "100", "1000"})
    public int instances;

    private static final int KEYS = 1024; // power of two: the index wraps with a mask

    private Picker picker;
    private String[] keys;
    private int next;

    @Setup
    public void setUp() {
        Random random = new Random(20240601L);
        List<Instance> list = new ArrayList<>(instances);
        for (int i = 0; i < instances; i++) {
            list.add(Instance.of("10.0." + (i / 250) + "." + (i % 250 + 1) + ":8888", 1 + random.nextInt(10)));
        }
        picker = balancer(balancer).newPicker(list);
        keys = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = "user-" + (1_000_000 + random.nextInt(9_000_000)); // 12 ASCII bytes, like an id
        }
    }

    private static LoadBalancer balancer(String name) {
        for (LoadBalancer lb : List.of(LoadBalancers.weightedRoundRobin(), LoadBalancers.weightedRandom(),
                LoadBalancers.interleavedWeightedRoundRobin(), LoadBalancers.consistentHash())) {
            if (lb.name().equals(name)) {
                return lb;
            }
        }
        throw new IllegalArgumentException(name);
    }

    @Benchmark
    public Instance pick() {
        return picker.pick(keys[next++ & (KEYS - 1)]);
    }
}
