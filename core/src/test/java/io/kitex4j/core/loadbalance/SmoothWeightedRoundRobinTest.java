package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.discovery.Instance;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {

    @Test
    void picksEqualKitexForEveryRecordedRotation() {
        List<Golden.Sequence> golden = Golden.sequences("swrr-sequences.txt");
        assertThat(golden).hasSizeGreaterThan(15);
        Set<String> names = new HashSet<>();
        for (Golden.Sequence g : golden) {
            names.add(g.name());
            Picker picker = CyclicPicker.smoothWeighted(g.kept(), g.rotation(), CyclicPicker.MAX_TABLE);
            assertThat(Golden.addresses(picker, g.picks().size())).as(g.toString()).isEqualTo(g.picks());
        }
        // The brief's weight sets, weights <= 0 mixed in, gcd > 1, and a cycle longer than one batch.
        assertThat(names).contains("a3b1", "a5b1c1", "a2b3c4", "gcd2", "zeros", "rand10", "rand120");
    }

    @Test
    void lockedFallbackGivesTheSameSequenceAsTheTable() {
        for (Golden.Sequence g : Golden.sequences("swrr-sequences.txt")) {
            Picker locked = CyclicPicker.smoothWeighted(g.kept(), g.rotation(), 1);
            assertThat(locked).as(g.toString()).isInstanceOf(LockedSequencePicker.class);
            assertThat(Golden.addresses(locked, g.picks().size())).as(g.toString()).isEqualTo(g.picks());
        }
    }

    @Test
    void tableAndLockedAgreeOverManyCyclesForRandomWeights() {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            int n = 2 + random.nextInt(30);
            Instance[] instances = new Instance[n];
            for (int i = 0; i < n; i++) {
                instances[i] = Instance.of("i" + i, 1 + random.nextInt(60));
            }
            int rotation = random.nextInt(n);
            CyclicPicker table = (CyclicPicker) CyclicPicker.smoothWeighted(instances, rotation, Integer.MAX_VALUE);
            Picker locked = CyclicPicker.smoothWeighted(instances, rotation, 0);
            int picks = 3 * table.tableLength() + 7;
            assertThat(Golden.addresses(table, picks)).isEqualTo(Golden.addresses(locked, picks));
        }
    }

    @Test
    void firstPickIsTheSecondStepAsInKitex() {
        // A3,B1 rotation 0: steps are A,A,B,A (nginx); Kitex's counter starts at 1, so A,B,A,A.
        Picker picker = CyclicPicker.smoothWeighted(Golden.named(3, 1).toArray(Instance[]::new), 0, 1000);
        assertThat(Golden.addresses(picker, 8)).containsExactly("A", "B", "A", "A", "A", "B", "A", "A");
    }

    @Test
    void cycleLengthIsSumOverGcd() {
        CyclicPicker p = (CyclicPicker) CyclicPicker.smoothWeighted(Golden.named(4, 2, 6, 2).toArray(Instance[]::new), 0, 1000);
        assertThat(p.tableLength()).isEqualTo(7);
    }

    @Test
    void noLongerBurstsThanNginxSwrr() {
        // {A:3, B:1} over 4k picks: exactly 3:1 and never more than 3 A in a row (AAAB is the worst).
        Picker picker = LoadBalancers.weightedRoundRobin().newPicker(Golden.named(3, 1));
        List<String> picks = Golden.addresses(picker, 4000);
        assertThat(picks.stream().filter("A"::equals).count()).isEqualTo(3000);
        assertThat(longestRun(picks, "A")).isEqualTo(3);
        assertThat(longestRun(picks, "B")).isEqualTo(1);

        // Against an independent nginx SWRR: same worst burst per instance for several weight sets.
        Random random = new Random(7);
        for (int round = 0; round < 20; round++) {
            int n = 2 + random.nextInt(8);
            int[] w = new int[n];
            for (int i = 0; i < n; i++) {
                w[i] = 1 + random.nextInt(20);
            }
            List<Instance> instances = Golden.named(w);
            int rotation = random.nextInt(n);
            Picker p = CyclicPicker.smoothWeighted(instances.toArray(Instance[]::new), rotation, CyclicPicker.MAX_TABLE);
            int total = 0;
            for (int x : w) {
                total += x;
            }
            List<String> ours = Golden.addresses(p, 4 * total);
            List<String> nginx = nginx(instances, rotation, 4 * total + 1).subList(1, 4 * total + 1);
            assertThat(ours).isEqualTo(nginx);
            for (Instance i : instances) {
                assertThat(longestRun(ours, i.address())).isLessThanOrEqualTo(longestRun(nginx, i.address()));
            }
        }
    }

    /** Textbook nginx SWRR (phusion/nginx 27e9498), written independently of the production code. */
    private static List<String> nginx(List<Instance> instances, int rotation, int steps) {
        int n = instances.size();
        List<Instance> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            nodes.add(instances.get((i + rotation) % n));
        }
        int[] current = new int[n];
        List<String> out = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            int total = 0;
            int best = -1;
            for (int i = 0; i < n; i++) {
                current[i] += nodes.get(i).weight();
                total += nodes.get(i).weight();
                if (best == -1 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            out.add(nodes.get(best).address());
        }
        return out;
    }

    static int longestRun(List<String> picks, String address) {
        int best = 0;
        int run = 0;
        // Twice around, so a run that wraps from the end of the list to its start counts whole.
        for (int i = 0; i < 2 * picks.size(); i++) {
            run = picks.get(i % picks.size()).equals(address) ? run + 1 : 0;
            best = Math.max(best, Math.min(run, picks.size()));
        }
        return best;
    }
}
