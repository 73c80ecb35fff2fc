package io.kitex4j.testing.apifixture.bad;

import io.kitex4j.testing.apifixture.internal.Hidden;

/** Leaks through its superclass. */
public class ExtendsHidden extends Hidden {}
