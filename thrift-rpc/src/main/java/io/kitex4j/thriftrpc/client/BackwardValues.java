package io.kitex4j.thriftrpc.client;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Receives the backward metainfo values of replies: the string key-values a Kitex server adds to
 * its TTHeader response with {@code metainfo.SendBackwardValue} (or a kitex4j server with
 * {@code CallContext.sendBackward}). The Java counterpart of Go's
 * {@code metainfo.WithBackwardValues(ctx)} and {@code metainfo.RecvAllBackwardValues(ctx)}.
 *
 * <p>As in Kitex, <em>every</em> string key-value of a reply's TTHeader is recorded, under its
 * raw key, and a later reply overwrites an earlier value of the same key. Only TTHeader
 * transports carry them; over Buffered and Framed there is nothing to receive.
 *
 * <p>Two ways to use it:
 * <pre>{@code
 * // blocking calls: capture on the calling thread
 * try (BackwardValues backward = BackwardValues.capture()) {
 *     echo.Echo(req);
 *     String v = backward.get("trace-id");
 * }
 *
 * // asynchronous calls: pass it explicitly (or capture around the call that starts them)
 * BackwardValues backward = BackwardValues.create();
 * client.async(EchoServer.Iface.class, CallOptions.builder().backwardValues(backward).build())
 *       .call(e -> e.Echo(req))
 *       .thenRun(() -> log(backward.asMap()));
 * }</pre>
 * The values of a call are recorded before its future completes, so they are visible to
 * whatever runs after it. Thread-safe.
 */
public final class BackwardValues implements AutoCloseable {

    private static final ThreadLocal<BackwardValues> CURRENT = new ThreadLocal<>();

    private final Map<String, String> values = new ConcurrentHashMap<>();
    // The capture this one hid, restored by close(); only for attached instances.
    private final BackwardValues previous;
    private final boolean attached;
    private final Thread owner;

    private BackwardValues(boolean attached) {
        this.attached = attached;
        this.previous = attached ? CURRENT.get() : null;
        this.owner = attached ? Thread.currentThread() : null;
    }

    /**
     * Starts collecting the backward values of every call this thread makes (blocking, or
     * asynchronous calls started on it) until {@link #close()}. Captures nest: an inner one
     * hides the outer one until it is closed.
     */
    public static BackwardValues capture() {
        final BackwardValues b = new BackwardValues(true);
        CURRENT.set(b);
        return b;
    }

    /** A collector attached to no thread; pass it with {@link CallOptions.Builder#backwardValues}. */
    public static BackwardValues create() {
        return new BackwardValues(false);
    }

    /** The capture active on this thread, or {@code null}. */
    static BackwardValues current() {
        return CURRENT.get();
    }

    /** The value received for {@code key}, or {@code null}. */
    public String get(String key) {
        return values.get(requireNonNull(key, "key"));
    }

    /** A snapshot of every value received so far. */
    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }

    void putAll(Map<String, String> received) {
        received.forEach((k, v) -> {
            // Kitex's metainfo ignores empty keys and values.
            if (!k.isEmpty() && !v.isEmpty()) {
                values.put(k, v);
            }
        });
    }

    /**
     * Stops capturing on this thread (for {@link #capture()}); the values stay readable. Must be
     * called on the thread that captured. Does nothing for {@link #create()}.
     *
     * @throws IllegalStateException if called on another thread than the capturing one
     */
    @Override
    public void close() {
        if (!attached) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("BackwardValues.close() must run on the thread that captured");
        }
        if (CURRENT.get() == this) {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    @Override
    public String toString() {
        return "BackwardValues" + values;
    }
}
