package io.kitex4j.testing.apifixture.bad;

import io.kitex4j.testing.apifixture.internal.Hidden;

/** Leaks through a type parameter bound. */
public final class BoundedByHidden<T extends Hidden> {}
