package io.kitex4j.configetcd;

import io.kitex4j.configetcd.internal.KeyWatch;
import java.util.concurrent.CompletableFuture;
import org.slf4j.LoggerFactory;

/**
 * The live limits of one server from its config-etcd {@code limit} key; made by
 * {@link EtcdConfigWatcher#serverLimits(String, LimitsListener)}.
 */
public final class EtcdServerLimits implements AutoCloseable {

    private final EtcdConfigWatcher watcher;
    private final EtcdConfigWatcher.KeyState state;
    private final LimitsListener listener;
    private final KeyWatch watch;
    private volatile ServerLimits current;

    EtcdServerLimits(EtcdConfigWatcher watcher, String key, LimitsListener listener) {
        this.watcher = watcher;
        this.state = watcher.new KeyState(key, ConfigKind.LIMIT);
        this.listener = listener;
        this.watch = watcher.newKeyWatch(key, (v, read) -> onValue(v));
    }

    CompletableFuture<Void> start() {
        return watch.start();
    }

    /** The limits of the key's value in force, or {@code null} while the key has not been seen (absent). */
    public ServerLimits current() {
        return current;
    }

    /** The etcd key. */
    public String key() {
        return state.key;
    }

    /** Stops watching the key. Idempotent. */
    @Override
    public void close() {
        watch.stop();
        watcher.removeHandle(this);
    }

    private void onValue(byte[] value) {
        if (value == null) {
            if (state.deleted()) {
                publish(ServerLimits.NONE);
            }
            return;
        }
        final String text = state.accept(value);
        if (text == null) {
            return;
        }
        final ServerLimits limits;
        try {
            limits = KitexConfigParser.parseLimit(text);
        } catch (InvalidConfigException e) {
            state.reject(text, e);
            return;
        }
        state.applied(text);
        publish(limits);
    }

    private void publish(ServerLimits limits) {
        current = limits;
        try {
            listener.onLimits(limits);
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(EtcdConfigWatcher.class).warn("The limits listener of {} threw; ignoring it",
                    state.key, e);
        }
    }

    @Override
    public String toString() {
        return "EtcdServerLimits{" + state.key + '}';
    }
}
