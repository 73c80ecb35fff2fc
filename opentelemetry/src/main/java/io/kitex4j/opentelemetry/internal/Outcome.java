package io.kitex4j.opentelemetry.internal;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.internal.Throwables;

/**
 * What a call ended with, as obs-opentelemetry counts it: Go records an error only for what reaches Kitex's
 * stats as an error. An IDL-declared exception is a field of the result struct there (the generated code
 * returns it after a successful call), and a business status travels beside a successful result, so neither is
 * an error; everything else is.
 */
enum Outcome {
    /** Completed with a value. */
    SUCCESS,
    /** An IDL-declared exception (a generated {@code TBase}). */
    DECLARED,
    /** A {@link BizStatusException}. */
    BIZ_STATUS,
    /** Any other failure. */
    ERROR;

    // libthrift is optional for this module: without it nothing can be a generated exception.
    private static final boolean THRIFT = thriftPresent();

    private static boolean thriftPresent() {
        try {
            Class.forName("org.apache.thrift.TBase", false, Outcome.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** {@code failure} without CompletableFuture's wrappers; {@code null} stays {@code null}. */
    static Throwable cause(Throwable failure) {
        return failure == null ? null : Throwables.unwrap(failure);
    }

    /** The outcome of a call that failed with {@code cause} (already {@linkplain #cause unwrapped}), or succeeded. */
    static Outcome of(Throwable cause) {
        if (cause == null) {
            return SUCCESS;
        }
        if (cause instanceof BizStatusException) {
            return BIZ_STATUS;
        }
        if (THRIFT && Thrift.isDeclared(cause)) {
            return DECLARED;
        }
        return ERROR;
    }

    /** Kept apart so that nothing loads {@code TBase} unless libthrift is there. */
    private static final class Thrift {
        static boolean isDeclared(Throwable t) {
            return t instanceof org.apache.thrift.TBase;
        }
    }
}
