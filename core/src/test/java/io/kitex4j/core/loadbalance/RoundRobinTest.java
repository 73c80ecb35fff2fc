package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.discovery.Instance;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RoundRobinTest {

    @Test
    void picksEqualKitexForTheSameStartCounter() {
        List<String> lines = Golden.lines("rr-sequences.txt");
        assertThat(lines).hasSize(9);
        for (String line : lines) {
            String[] f = line.split(" ");
            Instance[] kept = Golden.named(Golden.weights(f[1])).stream()
                    .filter(i -> i.weight() > 0).toArray(Instance[]::new);
            long goState = Long.parseUnsignedLong(Golden.value(f[2], "state="));
            // Kitex picks (state + k) % n for k = 1, 2, ...; only state % n matters.
            RoundRobinPicker picker = new RoundRobinPicker(kept, Long.remainderUnsigned(goState, kept.length));
            List<String> expected = List.of(Golden.value(f[3], "picks=").split(","));
            assertThat(Golden.addresses(picker, expected.size())).as(line).isEqualTo(expected);
        }
    }

    @Test
    void equalWeightsGiveEachInstanceExactlyNTimesOverNkPicks() {
        for (LoadBalancer lb : List.of(LoadBalancers.weightedRoundRobin(), LoadBalancers.interleavedWeightedRoundRobin())) {
            for (int k : new int[] {1, 2, 3, 7, 50}) {
                int[] weights = new int[k];
                java.util.Arrays.fill(weights, 4);
                Picker picker = lb.newPicker(Golden.named(weights));
                assertThat(picker).isInstanceOf(RoundRobinPicker.class);
                int n = 1000;
                Map<String, Integer> counts = new HashMap<>();
                String previous = null;
                for (int i = 0; i < n * k; i++) {
                    String a = picker.pick().address();
                    counts.merge(a, 1, Integer::sum);
                    if (previous != null && k > 1) {
                        // strictly cyclic: the next instance in list order
                        assertThat(a.charAt(0) - 'A').isEqualTo((previous.charAt(0) - 'A' + 1) % k);
                    }
                    previous = a;
                }
                assertThat(counts).hasSize(k);
                assertThat(counts.values()).allMatch(c -> c == n);
            }
        }
    }

    @Test
    void startIsRandomAcrossPickers() {
        // Each picker starts at a random position, so clients do not move in lockstep.
        Map<String, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            firsts.merge(LoadBalancers.weightedRoundRobin().newPicker(Golden.named(1, 1, 1, 1)).pick().address(), 1, Integer::sum);
        }
        assertThat(firsts).hasSize(4);
        // Seeded: deterministic start.
        WeightedBalancer wrr = WeightedBalancer.ROUND_ROBIN;
        String a = wrr.newPicker(Golden.named(1, 1, 1), new Random(5)).pick().address();
        String b = wrr.newPicker(Golden.named(1, 1, 1), new Random(5)).pick().address();
        assertThat(a).isEqualTo(b);
    }
}
