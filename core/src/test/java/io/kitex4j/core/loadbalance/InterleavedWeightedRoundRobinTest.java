package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.discovery.Instance;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InterleavedWeightedRoundRobinTest {

    @Test
    void a3b1GivesABAAOrBAAAByStart() {
        Instance[] ab = Golden.named(3, 1).toArray(Instance[]::new);
        assertThat(Golden.addresses(CyclicPicker.interleaved(ab, 0, 1000), 4)).containsExactly("A", "B", "A", "A");
        assertThat(Golden.addresses(CyclicPicker.interleaved(ab, 1, 1000), 4)).containsExactly("B", "A", "A", "A");
    }

    @Test
    void laterRoundsVisitNodesByAscendingWeightAsKitexQueuesDo() {
        // Starting with A, Kitex's next queue receives B before A, so from round 2 on it is B,A,A,A.
        Instance[] ab = Golden.named(3, 1).toArray(Instance[]::new);
        assertThat(Golden.addresses(CyclicPicker.interleaved(ab, 0, 1000), 12))
                .containsExactly("A", "B", "A", "A", "B", "A", "A", "A", "B", "A", "A", "A");
    }

    @Test
    void picksEqualKitexForEveryRecordedRotation() {
        List<Golden.Sequence> golden = Golden.sequences("iwrr-sequences.txt");
        Set<String> names = new HashSet<>();
        for (Golden.Sequence g : golden) {
            names.add(g.name());
            Picker table = CyclicPicker.interleaved(g.kept(), g.rotation(), CyclicPicker.MAX_TABLE);
            assertThat(table).isInstanceOf(CyclicPicker.class);
            assertThat(Golden.addresses(table, g.picks().size())).as(g.toString()).isEqualTo(g.picks());
            Picker locked = CyclicPicker.interleaved(g.kept(), g.rotation(), 0);
            assertThat(locked).isInstanceOf(LockedSequencePicker.class);
            assertThat(Golden.addresses(locked, g.picks().size())).as(g + " locked").isEqualTo(g.picks());
        }
        assertThat(names).contains("a3b1", "a5b1c1", "a2b3c4", "gcd2", "zeros", "rand10");
    }

    @Test
    void tableAndLockedAgreeOverManyRoundsForRandomWeights() {
        Random random = new Random(11);
        for (int round = 0; round < 100; round++) {
            int n = 2 + random.nextInt(20);
            Instance[] instances = new Instance[n];
            int factor = 1 + random.nextInt(3); // exercise gcd > 1
            for (int i = 0; i < n; i++) {
                instances[i] = Instance.of("i" + i, factor * (1 + random.nextInt(12)));
            }
            int rotation = random.nextInt(n);
            CyclicPicker table = (CyclicPicker) CyclicPicker.interleaved(instances, rotation, Integer.MAX_VALUE);
            Picker locked = CyclicPicker.interleaved(instances, rotation, 0);
            int picks = 4 * table.tableLength() + 5;
            assertThat(Golden.addresses(table, picks)).isEqualTo(Golden.addresses(locked, picks));
        }
    }

    @Test
    void sortedStartNeedsNoTransient() {
        CyclicPicker sorted = (CyclicPicker) CyclicPicker.interleaved(Golden.named(1, 3).toArray(Instance[]::new), 0, 1000);
        assertThat(sorted.tableLength()).isEqualTo(4);
        CyclicPicker unsorted = (CyclicPicker) CyclicPicker.interleaved(Golden.named(3, 1).toArray(Instance[]::new), 0, 1000);
        assertThat(unsorted.tableLength()).isEqualTo(8);
    }
}
