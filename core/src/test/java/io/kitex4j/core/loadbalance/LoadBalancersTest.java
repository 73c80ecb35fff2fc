package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.discovery.Instance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LoadBalancersTest {

    static List<LoadBalancer> weighted() {
        return List.of(LoadBalancers.weightedRoundRobin(), LoadBalancers.weightedRandom(),
                LoadBalancers.interleavedWeightedRoundRobin());
    }

    static List<LoadBalancer> all() {
        List<LoadBalancer> all = new ArrayList<>(weighted());
        all.add(LoadBalancers.consistentHash());
        return all;
    }

    @Test
    void namesAreKitexs() {
        assertThat(LoadBalancers.weightedRoundRobin().name()).isEqualTo("weight_round_robin");
        assertThat(LoadBalancers.weightedRandom().name()).isEqualTo("weight_random_with_alias_method");
        assertThat(LoadBalancers.interleavedWeightedRoundRobin().name()).isEqualTo("interleaved_weighted_round_robin");
        assertThat(LoadBalancers.consistentHash().name()).isEqualTo("consist");
        assertThat(LoadBalancers.consistentHash(5, false).name()).isEqualTo("consist");
        assertThat(LoadBalancers.defaultBalancer()).isSameAs(LoadBalancers.weightedRoundRobin());
    }

    @ParameterizedTest
    @MethodSource("weighted")
    void weightsOneToThreeGiveTwentyFivePercent(LoadBalancer lb) {
        Picker picker = lb.newPicker(Golden.named(1, 3));
        int picks = 100_000;
        long a = Golden.addresses(picker, picks).stream().filter("A"::equals).count();
        assertThat(a / (double) picks).as(lb.name()).isBetween(0.23, 0.27);
    }

    @ParameterizedTest
    @MethodSource("weighted")
    void sharesFollowWeightsForManyInstances(LoadBalancer lb) {
        int[] w = {1, 2, 3, 4, 10, 7, 5};
        int sum = Arrays.stream(w).sum();
        Picker picker = lb.newPicker(Golden.named(w));
        int picks = 200_000;
        Map<String, Integer> counts = new HashMap<>();
        for (String a : Golden.addresses(picker, picks)) {
            counts.merge(a, 1, Integer::sum);
        }
        for (int i = 0; i < w.length; i++) {
            String name = String.valueOf((char) ('A' + i));
            assertThat(counts.getOrDefault(name, 0) / (double) picks).as("%s %s", lb.name(), name)
                    .isCloseTo(w[i] / (double) sum, org.assertj.core.data.Offset.offset(0.01));
        }
    }

    @ParameterizedTest
    @MethodSource("weighted")
    void weightsZeroOrBelowAreDropped(LoadBalancer lb) {
        Picker picker = lb.newPicker(Golden.named(0, 2, -1, 5));
        for (String a : Golden.addresses(picker, 10_000)) {
            assertThat(a).isIn("B", "D");
        }
        // Dropping changes "balance": B2,D2 with invalid ones around is plain round robin.
        Picker balanced = lb.newPicker(Golden.named(0, 2, -1, 2));
        assertThat(balanced).isInstanceOfAny(RoundRobinPicker.class, RandomPicker.class);
    }

    @ParameterizedTest
    @MethodSource("weighted")
    void nothingLeftPicksNull(LoadBalancer lb) {
        assertThat(lb.newPicker(List.of()).pick()).isNull();
        assertThat(lb.newPicker(Golden.named(0, -4, 0)).pick()).isNull();
        assertThat(lb.newPicker(Golden.named(0, -4, 0)).pick("k")).isNull();
    }

    @ParameterizedTest
    @MethodSource("weighted")
    void singleInstanceAlwaysPicked(LoadBalancer lb) {
        Picker picker = lb.newPicker(List.of(Instance.of("only:1", 7)));
        for (int i = 0; i < 100; i++) {
            assertThat(picker.pick().address()).isEqualTo("only:1");
        }
    }

    @ParameterizedTest
    @MethodSource("all")
    void inputListIsCopiedAndNullsRejected(LoadBalancer lb) {
        List<Instance> list = new ArrayList<>(List.of(Instance.of("a:1", 1), Instance.of("b:1", 3)));
        Picker picker = lb.newPicker(list);
        list.clear();
        list.add(Instance.of("z:1", 1));
        for (int i = 0; i < 100; i++) {
            assertThat(picker.pick("k" + i).address()).isIn("a:1", "b:1");
        }
        assertThatThrownBy(() -> lb.newPicker(null)).isInstanceOf(NullPointerException.class).hasMessage("instances");
        List<Instance> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> lb.newPicker(withNull)).isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @MethodSource("weighted")
    void hashKeyIsIgnoredByWeightedPolicies(LoadBalancer lb) {
        Picker picker = lb.newPicker(Golden.named(1, 1, 1));
        assertThat(picker.pick("whatever")).isNotNull();
        assertThat(picker.pick("")).isNotNull();
        assertThat(picker.pick(null)).isNotNull();
    }

    @Test
    void kitexWeightSetsPickTheRightKindOfPicker() {
        assertThat(LoadBalancers.weightedRoundRobin().newPicker(Golden.named(3, 1))).isInstanceOf(CyclicPicker.class);
        assertThat(LoadBalancers.interleavedWeightedRoundRobin().newPicker(Golden.named(3, 1))).isInstanceOf(CyclicPicker.class);
        assertThat(LoadBalancers.weightedRandom().newPicker(Golden.named(3, 1))).isInstanceOf(AliasMethodPicker.class);
        assertThat(LoadBalancers.weightedRandom().newPicker(Golden.named(3, 3))).isInstanceOf(RandomPicker.class);
    }

    @Test
    void hugeCycleFallsBackToLockedPickerWithSameProportions() {
        // sum/gcd = 9,999,999 > 4 Mi entries: not tabulated.
        Picker picker = LoadBalancers.weightedRoundRobin().newPicker(
                List.of(Instance.of("a:1", 5_000_000), Instance.of("b:1", 4_999_999)));
        assertThat(picker).isInstanceOf(LockedSequencePicker.class);
        long a = Golden.addresses(picker, 10_000).stream().filter("a:1"::equals).count();
        assertThat(a).isBetween(4990L, 5010L);
    }

    @Test
    void largeWeightsDoNotOverflow() {
        int big = Integer.MAX_VALUE;
        Picker picker = LoadBalancers.weightedRoundRobin().newPicker(
                List.of(Instance.of("a:1", big), Instance.of("b:1", big - 1), Instance.of("c:1", 1)));
        assertThat(Golden.addresses(picker, 1000)).contains("a:1", "b:1");
        Picker alias = LoadBalancers.weightedRandom().newPicker(
                List.of(Instance.of("a:1", big), Instance.of("b:1", big)));
        assertThat(alias.pick()).isNotNull();
    }
}
