package io.kitex4j.cli;

import io.kitex4j.registry.EtcdClientConfig;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for an etcd call the way every command should: bounded, with a one-line reason. */
final class Etcd {

    private Etcd() {}

    static <T> T await(EtcdClientConfig config, CompletableFuture<T> call) throws InterruptedException {
        final long limitMs = config.dialTimeout().plus(config.callTimeout()).toMillis();
        try {
            return call.get(limitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new UsageException("etcd at " + config.endpoints() + " is unreachable (no answer in " + limitMs + " ms)");
        } catch (ExecutionException e) {
            throw new UsageException("etcd at " + config.endpoints() + " failed: " + rootMessage(e.getCause()));
        }
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
