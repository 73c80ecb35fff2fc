package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.discovery.Instance;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AliasMethodTest {

    @Test
    void tablesAreBitForBitKitexs() {
        List<String> lines = Golden.lines("alias-tables.txt");
        assertThat(lines).hasSize(7);
        for (String line : lines) {
            String[] f = line.split(" ");
            Instance[] kept = Golden.named(Golden.weights(f[1])).stream()
                    .filter(i -> i.weight() > 0).toArray(Instance[]::new);
            AliasMethodPicker picker = new AliasMethodPicker(kept, null);
            String[] prob = Golden.value(f[2], "prob=").split(",");
            String[] alias = Golden.value(f[3], "alias=").split(",");
            assertThat(picker.prob).hasSize(prob.length);
            for (int i = 0; i < prob.length; i++) {
                assertThat(Double.doubleToRawLongBits(picker.prob[i]))
                        .as("%s prob[%d]", f[1], i)
                        .isEqualTo(Long.parseUnsignedLong(prob[i], 16));
                assertThat(picker.alias[i]).as("%s alias[%d]", f[1], i).isEqualTo(Integer.parseInt(alias[i]));
            }
        }
    }

    @Test
    void tableEncodesTheWeights() {
        // Column i contributes prob[i] / n to i and (1 - prob[i]) / n to alias[i].
        int[] w = {9, 8, 7, 1, 8, 10, 7, 8, 5, 8, 7, 1, 2, 8, 7, 4, 5, 9, 5, 3};
        AliasMethodPicker picker = new AliasMethodPicker(Golden.named(w).toArray(Instance[]::new), null);
        double[] mass = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            mass[i] += picker.prob[i] / w.length;
            mass[picker.alias[i]] += (1 - picker.prob[i]) / w.length;
        }
        int sum = java.util.Arrays.stream(w).sum();
        for (int i = 0; i < w.length; i++) {
            assertThat(mass[i]).isCloseTo((double) w[i] / sum, org.assertj.core.data.Offset.offset(1e-12));
        }
    }

    @Test
    void seededPickerIsDeterministic() {
        Instance[] instances = Golden.named(3, 1, 5).toArray(Instance[]::new);
        List<String> a = Golden.addresses(new AliasMethodPicker(instances, new SplittableRandom(3)), 50);
        List<String> b = Golden.addresses(new AliasMethodPicker(instances, new SplittableRandom(3)), 50);
        assertThat(a).isEqualTo(b).contains("A", "B", "C");
    }
}
