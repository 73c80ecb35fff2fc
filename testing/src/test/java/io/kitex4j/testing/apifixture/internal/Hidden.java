package io.kitex4j.testing.apifixture.internal;

/** An internal type; public, as internal types often are so that other internal packages can use them. */
public class Hidden {
    /** A public API type may not return this (this class itself is internal, so it may). */
    public Hidden self() {
        return this;
    }
}
