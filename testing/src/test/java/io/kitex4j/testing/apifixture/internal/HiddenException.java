package io.kitex4j.testing.apifixture.internal;

/** An internal exception. */
public class HiddenException extends Exception {
    private static final long serialVersionUID = 1L;
}
