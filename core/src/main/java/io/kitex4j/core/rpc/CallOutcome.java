package io.kitex4j.core.rpc;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.internal.Throwables;

/**
 * What a call ended with, as observability middleware (tracing, metrics) classifies it: the one place that tells a
 * business outcome from a failure.
 *
 * <p>Kitex counts as an error only what reaches its stats as one. An IDL-declared exception is a field of the
 * result struct there (the generated code returns it after a successful call), and a business status travels
 * beside a successful result, so neither is an {@linkplain #isError() error}; a timeout and everything else are.
 *
 * <pre>
 *  outcome              the future completed with                            isError()
 *  SUCCESS              a value (or null: void, oneway)                       no
 *  DECLARED_EXCEPTION   an IDL-declared exception (a generated Thrift TBase)  no
 *  BIZ_STATUS           a {@link BizStatusException}                              no
 *  TIMEOUT              an {@link RpcTimeoutException}                            yes
 *  FAILURE              anything else (connect failures, remote errors, ...)  yes
 * </pre>
 *
 * <p>Declared exceptions are recognised only when libthrift ({@code org.apache.thrift.TBase}) is visible to
 * kitex4j-core's class loader, as it is for every kitex4j-thrift-rpc user; without it nothing is one.
 */
public enum CallOutcome {
    /** Completed with a value. */
    SUCCESS,
    /** An IDL-declared exception (a generated Thrift exception, which is a {@code TBase}). */
    DECLARED_EXCEPTION,
    /** A {@link BizStatusException}: the handler reported a business status. */
    BIZ_STATUS,
    /** An {@link RpcTimeoutException}: no reply within the RPC timeout. */
    TIMEOUT,
    /** Any other failure. */
    FAILURE;

    // libthrift is optional for kitex4j-core: without it nothing can be a generated exception.
    private static final Class<?> TBASE = thriftBase();

    private static Class<?> thriftBase() {
        try {
            return Class.forName("org.apache.thrift.TBase", false, CallOutcome.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /**
     * {@code failure} without the {@code CompletionException}/{@code ExecutionException} wrappers that
     * {@code CompletableFuture} adds; {@code null} stays {@code null}. {@link #of} takes what this returns.
     */
    public static Throwable cause(Throwable failure) {
        return failure == null ? null : Throwables.unwrap(failure);
    }

    /**
     * The outcome of a call that failed with {@code cause}, or succeeded ({@code null}). Wrapped causes are
     * unwrapped first (see {@link #cause}).
     */
    public static CallOutcome of(Throwable cause) {
        if (cause == null) {
            return SUCCESS;
        }
        final Throwable c = Throwables.unwrap(cause);
        if (c instanceof BizStatusException) {
            return BIZ_STATUS;
        }
        if (c instanceof RpcTimeoutException) {
            return TIMEOUT;
        }
        if (TBASE != null && TBASE.isInstance(c)) {
            return DECLARED_EXCEPTION;
        }
        return FAILURE;
    }

    /** Whether Kitex counts this outcome as an error: {@link #TIMEOUT} and {@link #FAILURE}. */
    public boolean isError() {
        return this == TIMEOUT || this == FAILURE;
    }
}
