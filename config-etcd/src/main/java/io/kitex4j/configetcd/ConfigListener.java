package io.kitex4j.configetcd;

/**
 * Told of every value an {@link EtcdConfigWatcher} applies or rejects. Called on the watcher's thread, in
 * order; it must be quick and must not block (nor call back into the watcher's
 * {@code clientPolicies}/{@code serverLimits}). An exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface ConfigListener {

    /** One value applied, restored to the defaults, or rejected. */
    void onEvent(ConfigEvent event);
}
