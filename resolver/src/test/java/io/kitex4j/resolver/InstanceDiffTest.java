package io.kitex4j.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.discovery.Instance;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The diff by address (Kitex's DefaultDiff, plus tags and network). */
class InstanceDiffTest {

    private static InstanceDiff diff(List<Instance> before, List<Instance> after) {
        return InstanceDiff.between(InstanceDiff.byAddress(before), InstanceDiff.byAddress(after));
    }

    @Test
    void addedRemovedUpdated() {
        final Instance a = Instance.of("10.0.0.1:1", 10);
        final Instance b = Instance.of("10.0.0.2:1", 10);
        final Instance c = Instance.of("10.0.0.3:1", 10);
        final InstanceDiff d = diff(List.of(a, b), List.of(b.withWeight(20), c));
        assertThat(d.added).containsExactly(c);
        assertThat(d.removed).containsExactly(a);
        assertThat(d.updated).containsExactly(b.withWeight(20));
        assertThat(d.isEmpty()).isFalse();
    }

    @Test
    void tagsAndNetworkChangesAreUpdates_sameValuesAreNot() {
        final Instance a = Instance.of("10.0.0.1:1", 10, Map.of("zone", "a"));
        assertThat(diff(List.of(a), List.of(Instance.of("10.0.0.1:1", 10, Map.of("zone", "b")))).updated).hasSize(1);
        assertThat(diff(List.of(a), List.of(new Instance("unix", "10.0.0.1:1", 10, Map.of("zone", "a")))).updated)
                .hasSize(1);
        assertThat(diff(List.of(a), List.of(Instance.of("10.0.0.1:1", 10, Map.of("zone", "a")))).isEmpty()).isTrue();
    }

    @Test
    void sameAddressTwice_laterOneStandsForIt_asInKitex() {
        final Instance first = Instance.of("10.0.0.1:1", 10);
        final Instance second = Instance.of("10.0.0.1:1", 30);
        assertThat(InstanceDiff.byAddress(List.of(first, second))).containsExactly(Map.entry("10.0.0.1:1", second));
        // Dropping the earlier duplicate changes nothing visible by address.
        assertThat(diff(List.of(first, second), List.of(second)).isEmpty()).isTrue();
        // Dropping the later one reveals the earlier one's weight.
        assertThat(diff(List.of(first, second), List.of(first)).updated).containsExactly(first);
    }

    @Test
    void removedWhenSizesHideIt() {
        // One removed and one added: the size is unchanged, the removal must still be found.
        final Instance a = Instance.of("10.0.0.1:1", 10);
        final Instance b = Instance.of("10.0.0.2:1", 10);
        final InstanceDiff d = diff(List.of(a), List.of(b));
        assertThat(d.added).containsExactly(b);
        assertThat(d.removed).containsExactly(a);
    }
}
