package io.kitex4j.testing.apifixture.bad;

import java.util.function.Supplier;

import io.kitex4j.testing.apifixture.internal.Hidden;
import io.kitex4j.testing.apifixture.internal.HiddenInterface;

/** Leaks through an interface and through the type argument of another. */
public final class ImplementsHidden implements HiddenInterface, Supplier<Hidden> {
    @Override
    public Hidden get() {
        return null;
    }
}
