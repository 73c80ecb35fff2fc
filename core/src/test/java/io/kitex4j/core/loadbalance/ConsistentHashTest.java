package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.discovery.Instance;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConsistentHashTest {

    /** A block of a golden consist file: its config line and the lines after it. */
    record Block(String name, int virtualFactor, boolean weighted, List<Instance> instances, List<String[]> rows) {}

    static Map<String, Block> blocks(String file) {
        Map<String, Block> out = new LinkedHashMap<>();
        Block current = null;
        for (String line : Golden.lines(file)) {
            if (line.startsWith("config ")) {
                String[] f = line.split(" ");
                List<Instance> instances = new ArrayList<>();
                for (String spec : Golden.value(f[4], "instances=").split(";")) {
                    int eq = spec.lastIndexOf('=');
                    instances.add(Instance.of(spec.substring(0, eq), Integer.parseInt(spec.substring(eq + 1))));
                }
                current = new Block(f[1], Integer.parseInt(Golden.value(f[2], "vf=")),
                        Boolean.parseBoolean(Golden.value(f[3], "weighted=")), instances, new ArrayList<>());
                out.put(current.name(), current);
            } else {
                // "pick <key> <addr>" where the key has no spaces, or "vnode <hex> <addr>"
                current.rows().add(line.split(" ", 3));
            }
        }
        return out;
    }

    @Test
    void threeInstancesWeight10MapAllThousandKeysLikeGo() {
        Block b = blocks("consist-picks.txt").get("three");
        assertThat(b.rows()).hasSize(1000);
        Picker picker = LoadBalancers.consistentHash().newPicker(b.instances());
        Map<String, Integer> perInstance = new HashMap<>();
        for (String[] row : b.rows()) {
            assertThat(picker.pick(row[1])).as("key %s", row[1]).isNotNull();
            assertThat(picker.pick(row[1]).address()).as("key %s", row[1]).isEqualTo(row[2]);
            perInstance.merge(row[2], 1, Integer::sum);
        }
        assertThat(perInstance).hasSize(3); // the golden data is not degenerate
        assertThat(((ConsistentHashPicker) picker).size()).isEqualTo(3000);
    }

    @Test
    void mixedWeightsAddressLengthsAndNonAsciiKeysMapLikeGo() {
        for (String name : List.of("mixed", "unweighted")) {
            Block b = blocks("consist-picks.txt").get(name);
            Picker picker = LoadBalancers.consistentHash(b.virtualFactor(), b.weighted()).newPicker(b.instances());
            assertThat(b.rows()).hasSizeGreaterThanOrEqualTo(300);
            for (String[] row : b.rows()) {
                Instance got = picker.pick(row[1]);
                assertThat(got == null ? "nil" : got.address()).as("%s key %s", name, row[1]).isEqualTo(row[2]);
            }
        }
    }

    @Test
    void ringEqualsKitexVnodeForVnode() {
        // Checks the vnode key bytes (address, '#', zero padding, raw digits, weight-0 address
        // counted in the length) and the unsigned sort order directly.
        for (Block b : blocks("consist-vnodes.txt").values()) {
            ConsistentHashPicker picker = (ConsistentHashPicker)
                    new ConsistentHashBalancer(b.virtualFactor(), b.weighted()).newPicker(b.instances());
            assertThat(picker.size()).as(b.name()).isEqualTo(b.rows().size());
            for (int v = 0; v < picker.size(); v++) {
                String[] row = b.rows().get(v);
                assertThat(Long.toHexString(picker.hashAt(v))).as("%s vnode %d", b.name(), v)
                        .isEqualTo(Long.toHexString(Long.parseUnsignedLong(row[1], 16)));
                assertThat(picker.ownerAt(v).address()).as("%s vnode %d", b.name(), v).isEqualTo(row[2]);
            }
        }
    }

    @Test
    void weightZeroAddressStillChangesEveryOtherHash() {
        // In Kitex the buffer length comes from the longest address, weight 0 included.
        List<Instance> base = List.of(Instance.of("10.0.0.1:8888", 1), Instance.of("10.0.0.2:8888", 1));
        List<Instance> withLongZero = new ArrayList<>(base);
        withLongZero.add(Instance.of("[fd00:1234:5678::abcd]:8888", 0));
        ConsistentHashPicker a = (ConsistentHashPicker) LoadBalancers.consistentHash().newPicker(base);
        ConsistentHashPicker b = (ConsistentHashPicker) LoadBalancers.consistentHash().newPicker(withLongZero);
        assertThat(a.size()).isEqualTo(b.size()).isEqualTo(200);
        assertThat(a.hashAt(0)).isNotEqualTo(b.hashAt(0));
    }

    @Test
    void lookupComparesUnsignedAndWrapsAround() {
        List<Instance> instances = List.of(Instance.of("a:1", 1), Instance.of("b:2", 1));
        ConsistentHashPicker p = (ConsistentHashPicker) LoadBalancers.consistentHash().newPicker(instances);
        int last = p.size() - 1;
        // The ring really spans both halves of the unsigned range, so signed order would differ.
        assertThat(p.hashAt(0)).isPositive();
        assertThat(p.hashAt(last)).isNegative();
        for (int v = 1; v <= last; v++) {
            assertThat(Long.compareUnsigned(p.hashAt(v - 1), p.hashAt(v))).isLessThanOrEqualTo(0);
        }
        // Strictly greater: a key equal to a vnode's hash goes to the next vnode.
        assertThat(p.indexOf(p.hashAt(3))).isEqualTo(4);
        assertThat(p.indexOf(p.hashAt(3) - 1)).isEqualTo(3);
        // Above every vnode (unsigned), and equal to the last one: wrap to vnode 0.
        assertThat(p.indexOf(-1L)).isEqualTo(0);
        assertThat(p.indexOf(p.hashAt(last))).isEqualTo(0);
        // 0 is below every vnode: vnode 0. Long.MAX_VALUE is in the middle of the unsigned range.
        assertThat(p.indexOf(0L)).isEqualTo(0);
        int mid = p.indexOf(Long.MAX_VALUE);
        assertThat(Long.compareUnsigned(p.hashAt(mid), Long.MAX_VALUE)).isPositive();
        assertThat(Long.compareUnsigned(p.hashAt(mid - 1), Long.MAX_VALUE)).isNegative();
        assertThat(mid).isBetween(1, last);
    }

    @Test
    void emptyOrNullKeyPicksNull() {
        Picker picker = LoadBalancers.consistentHash().newPicker(List.of(Instance.of("a:1", 10)));
        assertThat(picker.pick("")).isNull();
        assertThat(picker.pick(null)).isNull();
        assertThat(picker.pick()).isNull();
        assertThat(picker.pick("x")).isNotNull();
    }

    @Test
    void emptyListAndAllZeroWeightsPickNull() {
        assertThat(LoadBalancers.consistentHash().newPicker(List.of()).pick("k")).isNull();
        assertThat(LoadBalancers.consistentHash()
                .newPicker(List.of(Instance.of("a:1", 0), Instance.of("b:1", -3))).pick("k")).isNull();
        // Not weighted: weight is ignored, so weight 0 still gets virtual nodes (as in Kitex).
        assertThat(LoadBalancers.consistentHash(10, false).newPicker(List.of(Instance.of("a:1", 0))).pick("k"))
                .isEqualTo(Instance.of("a:1", 0));
    }

    @Test
    void negativeWeightGetsNoVnodeInsteadOfBreakingTheRing() {
        ConsistentHashPicker p = (ConsistentHashPicker) LoadBalancers.consistentHash()
                .newPicker(List.of(Instance.of("a:1", 2), Instance.of("b:1", -5)));
        assertThat(p.size()).isEqualTo(200);
        for (int i = 0; i < 100; i++) {
            assertThat(p.pick("k" + i).address()).isEqualTo("a:1");
        }
    }

    @Test
    void sameKeySameInstanceAndWeightsShapeTheShare() {
        List<Instance> instances = List.of(Instance.of("10.0.0.1:1", 10), Instance.of("10.0.0.2:1", 30));
        Picker picker = LoadBalancers.consistentHash().newPicker(instances);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            String key = "user-" + i;
            Instance first = picker.pick(key);
            assertThat(picker.pick(key)).isSameAs(first);
            counts.merge(first.address(), 1, Integer::sum);
        }
        assertThat(counts.get("10.0.0.1:1") / 20_000.0).isBetween(0.20, 0.30);
    }

    @Test
    void invalidOptionsAreRejected() {
        assertThatThrownBy(() -> LoadBalancers.consistentHash(0, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LoadBalancers.consistentHash(Integer.MAX_VALUE, true)
                .newPicker(List.of(Instance.of("a:1", 10))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too many virtual nodes");
        assertThat(LoadBalancers.consistentHash(100, true)).isSameAs(LoadBalancers.consistentHash());
    }

    @Test
    void radixSortOrdersUnsignedAndCarriesValues() {
        Random random = new Random(1);
        for (int n : new int[] {0, 1, 2, 3, 100, 5000}) {
            long[] keys = new long[n];
            int[] values = new int[n];
            for (int i = 0; i < n; i++) {
                keys[i] = i % 7 == 0 ? keys[Math.max(0, i - 1)] : random.nextLong(); // some duplicates
                values[i] = i;
            }
            long[] original = keys.clone();
            UnsignedRadixSort.sort(keys, values);
            for (int i = 0; i < n; i++) {
                assertThat(keys[i]).isEqualTo(original[values[i]]);
                if (i > 0) {
                    assertThat(Long.compareUnsigned(keys[i - 1], keys[i])).isLessThanOrEqualTo(0);
                    if (keys[i - 1] == keys[i]) {
                        assertThat(values[i - 1]).isLessThan(values[i]); // stable
                    }
                }
            }
        }
    }
}
