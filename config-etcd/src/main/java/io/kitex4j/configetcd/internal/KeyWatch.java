package io.kitex4j.configetcd.internal;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.kitex4j.core.internal.Throwables;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.registry.internal.EtcdChannels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch of one config-etcd key: read it, then watch it from the next revision; whenever the watch
 * ends (etcd restarted, connection lost, compaction), read it again rather than let jetcd resume, so a
 * change or a deletion made meanwhile is seen (as the resolver does, for the same reasons).
 *
 * <p>Everything runs on the given single-threaded {@code loop}; etcd callbacks hop onto it, and each
 * read or watch has an epoch so a late answer of an older one is ignored. The {@link Sink} is called on
 * the loop with each value: the bytes, or {@code null} for an absent or deleted key.
 */
public final class KeyWatch {

    private static final Logger logger = LoggerFactory.getLogger("io.kitex4j.configetcd.EtcdConfigWatcher");

    private static final long STABLE_NANOS = Duration.ofSeconds(5).toNanos();
    private static final long BACKOFF_BASE_NANOS = Duration.ofMillis(250).toNanos();
    private static final long BACKOFF_MAX_NANOS = Duration.ofSeconds(5).toNanos();
    private static final long ABANDON_NANOS = Duration.ofSeconds(30).toNanos();

    /** Receives the key's values, on the loop. */
    @FunctionalInterface
    public interface Sink {
        /**
         * A value read or watched.
         *
         * @param value the bytes, or {@code null} if the key is absent or was deleted
         * @param read whether it comes from a read (the first, or one after a reconnection) rather than a watch event
         */
        void onValue(byte[] value, boolean read);
    }

    private final Client client;
    private final ScheduledExecutorService loop;
    private final String keyText;
    private final ByteSequence key;
    private final Duration timeout;
    private final Sink sink;
    /** Completes (on the loop) when the first read has answered, successfully or not. */
    private final CompletableFuture<Void> firstRead = new CompletableFuture<>();

    // Loop thread only.
    private long epoch;
    private long revision;
    private Watch.Watcher watcher;
    private ScheduledFuture<?> timer;
    private boolean watchConfirmed;
    private long watchStartedNanos;
    private int failures;
    private boolean unreachable;
    private boolean stopped;

    public KeyWatch(Client client, ScheduledExecutorService loop, String key, Duration timeout, Sink sink) {
        this.client = client;
        this.loop = loop;
        this.keyText = key;
        this.key = ByteSequence.from(key, StandardCharsets.UTF_8);
        this.timeout = timeout;
        this.sink = sink;
    }

    /** Starts reading; the future completes when the first read has answered (or failed). */
    public CompletableFuture<Void> start() {
        loop.execute(this::sync);
        return firstRead;
    }

    /** Stops the watch; idempotent. */
    public void stop() {
        try {
            loop.execute(this::stopNow);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The loop is shut down: the watcher is closing and so is the client.
        }
    }

    private void stopNow() {
        stopped = true;
        epoch++;
        closeWatcher();
        cancelTimer();
        firstRead.complete(null);
    }

    private void sync() {
        if (stopped) {
            return;
        }
        final long ep = ++epoch;
        closeWatcher();
        cancelTimer();
        final long started = System.nanoTime();
        timer = loop.schedule(() -> readSlow(ep, started), timeout.toNanos(), NANOSECONDS);
        final CompletableFuture<GetResponse> get;
        try {
            get = client.getKVClient().get(key);
        } catch (RuntimeException e) {
            readDone(ep, null, e);
            return;
        }
        get.whenComplete((response, error) -> onLoop(() -> readDone(ep, response, error)));
    }

    /** The read has not answered in time: say so once, keep waiting (it answers when etcd is back). */
    private void readSlow(long ep, long started) {
        if (ep != epoch || stopped) {
            return;
        }
        firstRead.complete(null);
        final long waited = System.nanoTime() - started;
        if (waited >= ABANDON_NANOS) {
            sync();
            return;
        }
        markUnreachable(new TimeoutException("no answer within " + timeout.toMillis() + " ms"));
        EtcdChannels.resetConnectBackoff(client);
        timer = loop.schedule(() -> readSlow(ep, started), Math.min(Duration.ofSeconds(2).toNanos(),
                ABANDON_NANOS - waited), NANOSECONDS);
    }

    private void readDone(long ep, GetResponse response, Throwable error) {
        if (ep != epoch || stopped) {
            return;
        }
        cancelTimer();
        if (error != null) {
            firstRead.complete(null);
            markUnreachable(Throwables.unwrap(error));
            EtcdChannels.resetConnectBackoff(client);
            scheduleSync(backoffNanos(++failures));
            return;
        }
        if (unreachable) {
            logger.info("etcd answers again for config key {}", LogValues.escape(keyText, 200));
            unreachable = false;
        }
        final long readRevision = response.getHeader().getRevision();
        revision = readRevision;
        final byte[] value = response.getKvs().isEmpty() ? null : response.getKvs().get(0).getValue().getBytes();
        deliver(value, true);
        firstRead.complete(null);
        startWatch(ep, readRevision + 1);
    }

    private void startWatch(long ep, long fromRevision) {
        final WatchOption option = WatchOption.builder()
                .withRevision(fromRevision)
                .withRequireLeader(true)
                // jetcd waits for a ready connection, so a watch made while etcd goes away would wait silently.
                .withCreateNotify(true)
                .build();
        watchConfirmed = false;
        watchStartedNanos = System.nanoTime();
        timer = loop.schedule(() -> watchUnconfirmed(ep), timeout.toNanos(), NANOSECONDS);
        try {
            watcher = client.getWatchClient().watch(key, option, new Watch.Listener() {
                @Override
                public void onNext(WatchResponse response) {
                    onLoop(() -> watchResponse(ep, response));
                }

                @Override
                public void onError(Throwable error) {
                    onLoop(() -> watchEnded(ep, error));
                }

                @Override
                public void onCompleted() {
                    onLoop(() -> watchEnded(ep, null));
                }
            });
        } catch (RuntimeException e) {
            watchEnded(ep, e);
        }
    }

    private void watchResponse(long ep, WatchResponse response) {
        if (ep != epoch || stopped) {
            return;
        }
        if (response.isCreatedNotify()) {
            watchConfirmed = true;
            cancelTimer();
            return;
        }
        for (WatchEvent event : response.getEvents()) {
            final KeyValue kv = event.getKeyValue();
            if (kv.getModRevision() <= revision) {
                continue; // part of the read the watch started after
            }
            revision = kv.getModRevision();
            switch (event.getEventType()) {
                case PUT -> deliver(kv.getValue().getBytes(), false);
                case DELETE -> deliver(null, false);
                default -> { }
            }
        }
    }

    private void watchUnconfirmed(long ep) {
        if (ep == epoch && !stopped && !watchConfirmed) {
            watchEnded(ep, new TimeoutException("etcd did not confirm the watch within " + timeout.toMillis() + " ms"));
        }
    }

    private void watchEnded(long ep, Throwable error) {
        if (ep != epoch || stopped) {
            return;
        }
        epoch++;
        closeWatcher(); // and keep jetcd from resuming it by itself: a fresh read comes next
        cancelTimer();
        final boolean stable = System.nanoTime() - watchStartedNanos >= STABLE_NANOS;
        if (stable) {
            failures = 0;
        }
        logger.debug("Watch of config key {} ended ({}); reading it again", LogValues.escape(keyText, 200),
                error == null ? "closed by etcd" : Throwables.unwrap(error).toString());
        scheduleSync(stable && watchConfirmed ? 0 : backoffNanos(++failures));
    }

    private void deliver(byte[] value, boolean read) {
        try {
            sink.onValue(value, read);
        } catch (RuntimeException e) {
            logger.warn("Applying config key {} failed", LogValues.escape(keyText, 200), e);
        }
    }

    private void markUnreachable(Throwable cause) {
        if (!unreachable) {
            unreachable = true;
            logger.warn("etcd cannot be read for config key {}; keeping the current config until it answers: {}",
                    LogValues.escape(keyText, 200), LogValues.escape(String.valueOf(cause), 300));
        }
    }

    private void scheduleSync(long delayNanos) {
        if (stopped) {
            return;
        }
        cancelTimer();
        timer = loop.schedule(this::sync, delayNanos, NANOSECONDS);
    }

    private static long backoffNanos(int failures) {
        final long exp = BACKOFF_BASE_NANOS << Math.min(failures - 1, 10);
        final long capped = Math.min(BACKOFF_MAX_NANOS, exp);
        return capped / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    }

    private void closeWatcher() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (RuntimeException e) {
                logger.debug("Closing the watch of {} failed", LogValues.escape(keyText, 200), e);
            }
            watcher = null;
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed meanwhile.
        }
    }
}
