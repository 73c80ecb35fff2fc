package io.kitex4j.testing.apifixture.internal;

/** An internal interface. */
public interface HiddenInterface {}
