package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.discovery.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConcurrencyTest {

    static List<LoadBalancer> balancers() {
        return List.of(LoadBalancers.weightedRoundRobin(), LoadBalancers.weightedRandom(),
                LoadBalancers.interleavedWeightedRoundRobin(), LoadBalancers.consistentHash(),
                // tiny table limit: the locked fallback under contention
                new WeightedBalancer(WeightedBalancer.Kind.ROUND_ROBIN, 1),
                new WeightedBalancer(WeightedBalancer.Kind.INTERLEAVED, 1));
    }

    @ParameterizedTest
    @MethodSource("balancers")
    void concurrentPicksStayProportional(LoadBalancer lb) throws Exception {
        // 120 instances, weights 1..3 repeating; the WRR cycle (240) and lazy batches are crossed
        // many times while threads race.
        List<Instance> instances = new ArrayList<>();
        long weightSum = 0;
        for (int i = 0; i < 120; i++) {
            instances.add(Instance.of("10.0." + i + ".1:8888", 1 + i % 3));
            weightSum += 1 + i % 3;
        }
        Picker picker = lb.newPicker(instances);
        int threads = 6;
        int perThread = 120_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    long[] counts = new long[instances.size()];
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        Instance got = picker.pick("key-" + thread + "-" + i);
                        counts[Integer.parseInt(got.address().split("\\.")[2])]++;
                    }
                    return counts;
                }));
            }
            start.countDown();
            long[] total = new long[instances.size()];
            for (Future<long[]> f : futures) {
                long[] counts = f.get(60, TimeUnit.SECONDS);
                for (int i = 0; i < total.length; i++) {
                    total[i] += counts[i];
                }
            }
            long picks = (long) threads * perThread;
            for (int i = 0; i < total.length; i++) {
                double expected = picks * (double) (1 + i % 3) / weightSum;
                if (lb instanceof ConsistentHashBalancer) {
                    // hashing: shares are only roughly proportional
                    assertThat((double) total[i]).as("%s instance %d", lb, i).isBetween(0.3 * expected, 1.7 * expected);
                } else if (lb.name().contains("round_robin")) {
                    // round robin hands out exactly the cycle, whatever the interleaving of threads
                    assertThat((double) total[i]).as("%s instance %d", lb, i).isEqualTo(expected);
                } else {
                    assertThat((double) total[i]).as("%s instance %d", lb, i).isBetween(0.85 * expected, 1.15 * expected);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
