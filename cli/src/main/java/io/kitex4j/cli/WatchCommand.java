package io.kitex4j.cli;

import io.kitex4j.registry.EtcdAccessException;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.SkippedKey;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.core.discovery.ServiceWatch;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kitex4j watch}: the current instances, then one line per change as etcd reports it. Keys
 * the resolver skips are printed as {@code ls} prints them (stderr, or {@code "event":"skipped"}
 * with {@code --json}), once when first skipped or skipped for a new reason.
 */
@Command(name = "watch", description = "Print a service's instances, then one line per change, until interrupted.")
final class WatchCommand implements Callable<Integer> {

    @Mixin
    EtcdOptions etcd;

    @Option(names = "--json", description = "One JSON object per line, with an \"event\" field.")
    boolean json;

    @Parameters(paramLabel = "SERVICE", description = "Service name.")
    String service;

    @Override
    public Integer call() throws Exception {
        final EtcdClientConfig config = etcd.toConfig();
        final EtcdResolver resolver;
        final ServiceWatch watch;
        try {
            // watch prints each skipped key itself, once; the resolver's WARN would say it a second time.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(EtcdResolver.class))
                    .setLevel(ch.qos.logback.classic.Level.ERROR);
            resolver = EtcdResolver.builder().etcd(config).keyLayout(etcd.layout()).build();
            watch = resolver.watch(service);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        // Wait for etcd's answer, not only for the first view: on a busy machine the first read may
        // take longer than the call timeout (the view is UNREACHABLE meanwhile) and still succeed. A
        // cause that waiting cannot cure (TLS, authentication, permission) ends the wait at once.
        final CompletableFuture<ResolvedInstances> answered = new CompletableFuture<>();
        final ResolverListener untilAnswered = update -> {
            final ResolvedInstances view = update.current();
            if (view.state() == ResolvedInstances.State.OK || view.state() == ResolvedInstances.State.NO_INSTANCES
                    || view.lastError() != null && EtcdAccessException.isPermanent(view.lastError())) {
                answered.complete(view);
            }
        };
        watch.addListener(untilAnswered);
        try {
            final ResolvedInstances first =
                    answered.get(config.dialTimeout().plus(config.callTimeout()).toMillis(), TimeUnit.MILLISECONDS);
            if (first.state() == ResolvedInstances.State.UNREACHABLE) {
                resolver.close();
                throw new UsageException(Etcd.explain(config, first.lastError(), null));
            }
        } catch (ExecutionException | TimeoutException e) {
            final Throwable lastError = watch.snapshot().lastError();
            resolver.close();
            throw new UsageException(e instanceof ExecutionException
                    ? Etcd.explain(config, e.getCause(), null)
                    : Etcd.explain(config, lastError, lastError == null ? "no answer" : null));
        } finally {
            watch.removeListener(untilAnswered);
        }
        // The listener's first update replays the current view; print it as "current", then changes.
        final boolean[] replayed = {false};
        watch.addListener(update -> {
            synchronized (System.out) {
                if (!replayed[0]) {
                    replayed[0] = true;
                    update.current().instances().forEach(i -> print("current", i));
                    update.current().skipped().forEach(this::printSkipped);
                    System.out.flush();
                    return;
                }
                final Set<SkippedKey> skippedBefore = new HashSet<>(update.previous().skipped());
                update.current().skipped().stream().filter(e -> !skippedBefore.contains(e)).forEach(this::printSkipped);
                update.removed().forEach(i -> print("removed", i));
                update.added().forEach(i -> print("added", i));
                update.updated().forEach(i -> print("updated", i));
                if (update.stateChanged()) {
                    final ResolvedInstances now = update.current();
                    if (json) {
                        System.out.println("{\"event\":\"state\",\"service\":\"" + service + "\",\"state\":\""
                                + now.state() + "\",\"instances\":" + now.instances().size() + "}");
                    } else {
                        System.out.println("# " + now.state() + " (" + now.instances().size() + " instances"
                                + (now.isStale() ? ", stale" : "") + ")");
                    }
                }
                System.out.flush();
            }
        });
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            resolver.close();
            done.countDown();
        }, "kitex4j-watch-close"));
        done.await();
        return 0;
    }

    private void printSkipped(SkippedKey skipped) {
        if (json) {
            System.out.println(InstanceLines.skippedJson(service, skipped, "skipped"));
        } else {
            System.err.println(InstanceLines.skippedText(skipped));
        }
    }

    private void print(String event, Instance i) {
        if (json) {
            System.out.println(InstanceLines.json(service, i, event));
        } else {
            final String sign = switch (event) {
                case "added" -> "+ ";
                case "removed" -> "- ";
                case "updated" -> "~ ";
                default -> "";
            };
            System.out.println(sign + InstanceLines.text(service, i));
        }
    }
}
