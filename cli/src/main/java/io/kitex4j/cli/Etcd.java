package io.kitex4j.cli;

import io.kitex4j.registry.EtcdAccessException;
import io.kitex4j.registry.EtcdClientConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for an etcd call the way every command should: bounded, with a one-line reason. */
final class Etcd {

    /** A call unanswered for this long (at most) gets its connection diagnosed while it goes on waiting. */
    private static final Duration PROBE_AFTER = Duration.ofSeconds(1);

    private Etcd() {}

    /**
     * The call's result, or a {@link UsageException} whose message names the endpoint and the cause
     * ({@link EtcdAccessException}): at once for a cause that cannot go away (TLS, auth), else when
     * the call fails or after the dial and call timeouts.
     */
    static <T> T await(EtcdClientConfig config, CompletableFuture<T> call) throws InterruptedException {
        final long limitMs = config.dialTimeout().plus(config.callTimeout()).toMillis();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limitMs);
        final long probeAfterMs = Math.min(PROBE_AFTER.toMillis(), config.dialTimeout().toMillis() / 4);
        CompletableFuture<EtcdAccessException> diagnosis = null;
        try {
            try {
                return call.get(probeAfterMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException silent) {
                diagnosis = config.diagnose(null);
                final CompletableFuture<Object> first = new CompletableFuture<>();
                call.whenComplete((r, e) -> first.complete(call));
                diagnosis.thenAccept(d -> {
                    if (d.isPermanent()) {
                        first.complete(d);
                    }
                });
                final Object winner = first.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (winner instanceof EtcdAccessException d) {
                    call.cancel(true);
                    throw new UsageException(d.getMessage());
                }
                return call.get();
            }
        } catch (TimeoutException e) {
            call.cancel(true);
            final String noAnswer = "no answer in " + limitMs + " ms";
            // The diagnosis made while waiting says why, if it is done; otherwise make one.
            final EtcdAccessException found = diagnosis != null ? diagnosis.getNow(null) : null;
            throw new UsageException(found != null ? unreachable(found, noAnswer) : explain(config, null, noAnswer));
        } catch (ExecutionException e) {
            throw new UsageException(explain(config, e.getCause(), null));
        }
    }

    /**
     * One line saying why etcd failed: {@code failure} classified, or the endpoints diagnosed;
     * {@code noAnswer} describes a call that never answered ({@code failure} {@code null}).
     */
    static String explain(EtcdClientConfig config, Throwable failure, String noAnswer) throws InterruptedException {
        final EtcdAccessException found;
        try {
            found = config.diagnose(failure)
                    .get(config.dialTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return "etcd at " + config.endpoints() + " failed: "
                   + (failure != null ? rootMessage(failure) : noAnswer);
        }
        return noAnswer == null ? found.getMessage() : unreachable(found, noAnswer);
    }

    private static String unreachable(EtcdAccessException found, String noAnswer) {
        return found.isPermanent() ? found.getMessage()
                : "etcd at " + found.endpoint() + " is unreachable: " + noAnswer + " (" + found.reason() + ")";
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        final String message = root.getMessage();
        return message == null ? root.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }
}
