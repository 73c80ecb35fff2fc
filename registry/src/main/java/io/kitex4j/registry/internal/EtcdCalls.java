package io.kitex4j.registry.internal;

import io.kitex4j.core.internal.Throwables;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Helpers for etcd calls shared by the registry and the resolver. */
public final class EtcdCalls {

    private EtcdCalls() {}

    /** {@code f} bounded by {@code timeout}, failing with a TimeoutException that names {@code what}. */
    public static <T> CompletableFuture<T> timed(CompletableFuture<T> f, String what, Duration timeout) {
        return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((r, e) -> {
            if (e == null) {
                return r;
            }
            final Throwable cause = Throwables.unwrap(e);
            if (cause instanceof TimeoutException && cause.getMessage() == null) {
                throw new CompletionException(new TimeoutException(what + ": no answer within " + format(timeout)));
            }
            throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        });
    }

    /** {@code 3 s} or {@code 250 ms}. */
    public static String format(Duration d) {
        final long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
