package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.Instance;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The difference of two instance lists by address, as Kitex's {@code discovery.DefaultDiff}, plus
 * tags and network (see {@link ResolverUpdate}).
 */
final class InstanceDiff {

    final List<Instance> added;
    final List<Instance> removed;
    final List<Instance> updated;

    private InstanceDiff(List<Instance> added, List<Instance> removed, List<Instance> updated) {
        this.added = added;
        this.removed = removed;
        this.updated = updated;
    }

    /**
     * Indexes a list by address. Like Kitex's map building, a later instance with the same address
     * replaces an earlier one; the map keeps first-seen order, which is key order.
     */
    static Map<String, Instance> byAddress(Collection<Instance> instances) {
        final Map<String, Instance> map = new LinkedHashMap<>(Math.max(16, instances.size() * 4 / 3 + 1));
        for (Instance i : instances) {
            map.put(i.address(), i);
        }
        return map;
    }

    static InstanceDiff between(Map<String, Instance> before, Map<String, Instance> after) {
        final List<Instance> added = new ArrayList<>();
        final List<Instance> updated = new ArrayList<>();
        for (Instance now : after.values()) {
            final Instance was = before.get(now.address());
            if (was == null) {
                added.add(now);
            } else if (!sameAttributes(was, now)) {
                updated.add(now);
            }
        }
        final List<Instance> removed = new ArrayList<>();
        if (before.size() + added.size() != after.size()) {
            for (Instance was : before.values()) {
                if (!after.containsKey(was.address())) {
                    removed.add(was);
                }
            }
        }
        return new InstanceDiff(added, removed, updated);
    }

    boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty() && updated.isEmpty();
    }

    private static boolean sameAttributes(Instance a, Instance b) {
        return a.weight() == b.weight() && a.network().equals(b.network()) && Objects.equals(a.tags(), b.tags());
    }
}
