package io.kitex4j.testing.apifixture.good;

import java.util.List;

import io.kitex4j.testing.apifixture.internal.Hidden;

/** Uses an internal type only where the API does not show it. */
public final class UsesHiddenPrivately implements Comparable<UsesHiddenPrivately> {
    private final Hidden hidden = new Hidden();

    /** Returns a public type, computed with the internal one. */
    public <T extends Comparable<T>> List<String> names(T ignored) {
        return List.of(hidden.self().toString());
    }

    @Override
    public int compareTo(UsesHiddenPrivately other) {
        return 0;
    }
}
