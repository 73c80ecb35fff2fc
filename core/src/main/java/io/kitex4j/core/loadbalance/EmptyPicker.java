package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;

/** Kitex's {@code DummyPicker}: the picker of a list with nothing to pick. Always {@code null}. */
enum EmptyPicker implements Picker {
    INSTANCE;

    @Override
    public Instance pick(String hashKey) {
        return null;
    }

    @Override
    public String toString() {
        return "EmptyPicker";
    }
}
