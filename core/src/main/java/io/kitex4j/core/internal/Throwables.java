package io.kitex4j.core.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Exception helpers shared by kitex4j's modules. Not API. */
public final class Throwables {

    private Throwables() {
    }

    /**
     * The exception a future failed with: {@code t} without the {@link CompletionException} and
     * {@link ExecutionException} wrappers that {@code CompletableFuture} adds.
     */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
