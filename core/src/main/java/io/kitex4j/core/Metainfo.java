package io.kitex4j.core;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kitex metainfo: string values that travel with calls, as Go's {@code github.com/bytedance/gopkg/
 * cloud/metainfo} carries them in a {@code context.Context}. Immutable; every {@code with...} returns
 * a new instance.
 *
 * <h2>Kinds of values</h2>
 * <ul>
 * <li><b>Transient</b> ({@code metainfo.WithValue}): sent to the next hop only, as TTHeader string key
 * {@code RPC_TRANSIT_<key>}.</li>
 * <li><b>Persistent</b> ({@code metainfo.WithPersistentValue}): sent on every hop, as
 * {@code RPC_PERSIST_<key>}.</li>
 * <li><b>Upstream</b> transients: transients received from the caller, still readable with
 * {@link #transientValue} but never sent on (Go's "stale" values). {@link #forNextHop()} makes them.</li>
 * <li><b>Backward</b> values go the other way, from server to client, as raw (unprefixed) keys in the
 * response's TTHeader (Go's {@code metainfo.SendBackwardValue}); a client sees every string key of the
 * response header as a backward value.</li>
 * </ul>
 * Metainfo only travels over the TTHeader transports; over Buffered and Framed it is not sent, as with
 * Kitex. Empty keys and empty values are ignored, both when set here and when read from a header,
 * exactly as Go does.
 *
 * <h2>The hop rule, as Kitex applies it</h2>
 * <pre>
 *  client A                       server B (handler)                     server C
 *  withTransient(t=1)   ──T+P──▶  fromRequest: t is transient
 *  withPersistent(p=1)            forNextHop(): t becomes upstream  ──P──▶  sees p, not t
 *                                 (still readable in B)
 * </pre>
 * A server builds {@link #fromHeaderStrings} from the request header, then gives its handler
 * {@code fromHeaderStrings(h).forNextHop()} (Kitex's {@code TransferForward}); the handler reads every
 * received value, and any call it makes carries only the persistent values plus the transients the
 * handler set itself. {@link #toHeaderStrings()} holds transients and persistents, never upstream values.
 *
 * <h2>Sync and async code</h2>
 * <ul>
 * <li><b>Synchronous code</b> uses the thread's current metainfo: {@link #current()} reads it, and
 * {@code try (Metainfo.Scope s = Metainfo.current().withTransient("k", "v").attach()) { client.call(...); }}
 * makes a value current for the calls made inside the block. A kitex4j server attaches the request's
 * metainfo around a synchronous handler, and a kitex4j client sends {@code current()} unless given
 * another one.</li>
 * <li><b>Asynchronous code</b> must not rely on the thread: a thread-local does not follow a callback to
 * another thread, and a scope left open leaks into unrelated work on a pooled thread. Capture the value
 * once ({@code Metainfo mi = Metainfo.current();}) on the calling thread and pass it explicitly: to the
 * client call's options, and into the continuation. Never call {@link #attach()} on one thread and close
 * the scope on another.</li>
 * </ul>
 */
public final class Metainfo {

    private static final Logger logger = LoggerFactory.getLogger(Metainfo.class);

    /** The key prefix of a transient value in a TTHeader request (Go's {@code metainfo.PrefixTransient}). */
    public static final String TRANSIENT_PREFIX = "RPC_TRANSIT_";
    /** The key prefix of an upstream transient value (Go's {@code metainfo.PrefixTransientUpstream}). */
    public static final String TRANSIENT_UPSTREAM_PREFIX = "RPC_TRANSIT_UPSTREAM_";
    /** The key prefix of a persistent value (Go's {@code metainfo.PrefixPersistent}). */
    public static final String PERSISTENT_PREFIX = "RPC_PERSIST_";

    private static final Metainfo EMPTY = new Metainfo(Map.of(), Map.of(), Map.of());
    // Never remove()d, only set (to null when no scope is open): a set on a thread that already has the
    // entry allocates nothing, where remove() followed by set() would allocate a new entry per call.
    private static final ThreadLocal<Metainfo> CURRENT = new ThreadLocal<>();

    private final Map<String, String> transients;
    private final Map<String, String> upstream;
    private final Map<String, String> persistents;

    private Metainfo(Map<String, String> transients, Map<String, String> upstream, Map<String, String> persistents) {
        this.transients = transients;
        this.upstream = upstream;
        this.persistents = persistents;
    }

    /** No values. */
    public static Metainfo empty() {
        return EMPTY;
    }

    // ---------------------------------------------------------------- values

    /**
     * With transient value {@code key=value} (replacing an upstream value of that key, as Go's
     * {@code WithValue}). Ignored, as in Go, if the key or the value is empty.
     */
    public Metainfo withTransient(String key, String value) {
        return toBuilder().putTransient(key, value).build();
    }

    /** With persistent value {@code key=value}. Ignored, as in Go, if the key or the value is empty. */
    public Metainfo withPersistent(String key, String value) {
        return toBuilder().putPersistent(key, value).build();
    }

    /**
     * A builder starting from these values, for several changes at once: one copy of the maps instead of one per
     * {@code with...} call. {@code mi.toBuilder().putTransient("a", "1").putTransient("b", "2").build()} equals
     * {@code mi.withTransient("a", "1").withTransient("b", "2")}, insertion order included.
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A builder starting from no values ({@code empty().toBuilder()}). */
    public static Builder builder() {
        return new Builder(EMPTY);
    }

    /**
     * Several changes to a {@link Metainfo}, applied to one copy of its maps. Each method means what the
     * {@code Metainfo} method of the same name with {@code with} does, in the order called; {@link #build()}
     * returns the result, the original itself when nothing changed. Not thread-safe; the {@code Metainfo}s it
     * builds are immutable as ever, and later calls on the builder do not change one already built.
     */
    public static final class Builder {

        private Metainfo base;
        // Copied on the first change of each; null: still base's.
        private LinkedHashMap<String, String> transients;
        private LinkedHashMap<String, String> upstream;
        private LinkedHashMap<String, String> persistents;
        private boolean upstreamChanged;

        private Builder(Metainfo base) {
            this.base = base;
        }

        /** As {@link Metainfo#withTransient}: transient {@code key=value}, replacing an upstream value of the key. */
        public Builder putTransient(String key, String value) {
            requireNonNull(key, "key");
            requireNonNull(value, "value");
            if (key.isEmpty() || value.isEmpty()) {
                return this;
            }
            if (transients == null) {
                transients = copy(base.transients);
            }
            transients.put(key, value);
            removeUpstream(key);
            return this;
        }

        /** As {@link Metainfo#withPersistent}: persistent {@code key=value}. */
        public Builder putPersistent(String key, String value) {
            requireNonNull(key, "key");
            requireNonNull(value, "value");
            if (key.isEmpty() || value.isEmpty()) {
                return this;
            }
            if (persistents == null) {
                persistents = copy(base.persistents);
            }
            persistents.put(key, value);
            return this;
        }

        /** As {@link Metainfo#withoutTransient}: without the transient (or upstream) value of {@code key}. */
        public Builder removeTransient(String key) {
            if (transients != null) {
                transients.remove(key);
            } else if (base.transients.containsKey(key)) {
                transients = copy(base.transients);
                transients.remove(key);
            }
            removeUpstream(key);
            return this;
        }

        /** As {@link Metainfo#withoutPersistent}: without the persistent value of {@code key}. */
        public Builder removePersistent(String key) {
            if (persistents != null) {
                persistents.remove(key);
            } else if (base.persistents.containsKey(key)) {
                persistents = copy(base.persistents);
                persistents.remove(key);
            }
            return this;
        }

        /**
         * The metainfo with the changes made so far; the original when there were none. The builder can go on: its
         * later changes start from the metainfo built.
         */
        public Metainfo build() {
            if (transients == null && !upstreamChanged && persistents == null) {
                return base;
            }
            // The maps are handed over, not copied: the next change copies them again (from base).
            base = new Metainfo(transients == null ? base.transients : freeze(transients),
                                upstreamChanged ? freeze(upstream) : base.upstream,
                                persistents == null ? base.persistents : freeze(persistents));
            transients = null;
            upstream = null;
            persistents = null;
            upstreamChanged = false;
            return base;
        }

        private void removeUpstream(String key) {
            if (upstream == null) {
                if (!base.upstream.containsKey(key)) {
                    return;
                }
                upstream = copy(base.upstream);
            }
            if (upstream.remove(key) != null) {
                upstreamChanged = true;
            }
        }

        private static LinkedHashMap<String, String> copy(Map<String, String> map) {
            final LinkedHashMap<String, String> m = new LinkedHashMap<>();
            // forEach, not putAll: an unmodifiable map's entry set wraps every entry it iterates over.
            map.forEach(m::put);
            return m;
        }
    }

    /** Without the transient (or upstream) value of {@code key} (Go's {@code DelValue}). */
    public Metainfo withoutTransient(String key) {
        return toBuilder().removeTransient(key).build();
    }

    /** Without the persistent value of {@code key} (Go's {@code DelPersistentValue}). */
    public Metainfo withoutPersistent(String key) {
        return toBuilder().removePersistent(key).build();
    }

    /**
     * The transient value of {@code key}: set here, or else received from upstream (Go's
     * {@code metainfo.GetValue}); {@code null} if none.
     */
    public String transientValue(String key) {
        final String v = transients.get(key);
        return v != null ? v : upstream.get(key);
    }

    /** The persistent value of {@code key} (Go's {@code GetPersistentValue}), or {@code null}. */
    public String persistentValue(String key) {
        return persistents.get(key);
    }

    /**
     * All readable transient values, upstream ones included (Go's {@code GetAllValues}); a value set
     * here wins over an upstream one. Unmodifiable.
     */
    public Map<String, String> transients() {
        if (upstream.isEmpty()) {
            return transients;
        }
        if (transients.isEmpty()) {
            return upstream;
        }
        final Map<String, String> all = new LinkedHashMap<>(upstream);
        all.putAll(transients);
        return Collections.unmodifiableMap(all);
    }

    /** The transient values that {@link #toHeaderStrings()} sends: those set (or received) but not upstream ones. */
    public Map<String, String> outgoingTransients() {
        return transients;
    }

    /** All persistent values (Go's {@code GetAllPersistentValues}). Unmodifiable. */
    public Map<String, String> persistents() {
        return persistents;
    }

    /** Whether there are no values of any kind. */
    public boolean isEmpty() {
        return transients.isEmpty() && upstream.isEmpty() && persistents.isEmpty();
    }

    /**
     * What a handler should see and pass on (Go's {@code TransferForward}): transients become upstream
     * values (still readable, no longer sent), earlier upstream values are dropped, persistents are kept.
     */
    public Metainfo forNextHop() {
        if (transients.isEmpty() && upstream.isEmpty()) {
            return this;
        }
        return new Metainfo(Map.of(), transients, persistents);
    }

    // ---------------------------------------------------------------- wire

    /**
     * The string key-values to send in a request header: {@code RPC_TRANSIT_<k>} for each
     * {@linkplain #outgoingTransients() outgoing transient}, {@code RPC_PERSIST_<k>} for each persistent
     * (Go's {@code SaveMetaInfoToMap}).
     */
    public Map<String, String> toHeaderStrings() {
        final Map<String, String> out = new LinkedHashMap<>();
        transients.forEach((k, v) -> out.put(TRANSIENT_PREFIX + k, v));
        persistents.forEach((k, v) -> out.put(PERSISTENT_PREFIX + k, v));
        return out;
    }

    /**
     * The metainfo a server received, from the request header's string key-values (Go's
     * {@code SetMetaInfoFromMap}): {@code RPC_TRANSIT_<k>} as transient {@code k},
     * {@code RPC_PERSIST_<k>} as persistent {@code k}. {@code RPC_TRANSIT_UPSTREAM_<k>} is read as an
     * upstream value, other keys are not metainfo, and empty keys and values are skipped. Give the
     * handler {@code fromHeaderStrings(h).forNextHop()}.
     */
    public static Metainfo fromHeaderStrings(Map<String, String> strings) {
        Map<String, String> transients = null;
        Map<String, String> upstream = null;
        Map<String, String> persistents = null;
        for (Map.Entry<String, String> e : strings.entrySet()) {
            final String k = e.getKey();
            final String v = e.getValue();
            if (k.isEmpty() || v.isEmpty()) {
                continue;
            }
            // UPSTREAM first: it also starts with RPC_TRANSIT_.
            if (k.startsWith(TRANSIENT_UPSTREAM_PREFIX)) {
                if (k.length() > TRANSIENT_UPSTREAM_PREFIX.length()) {
                    upstream = putNew(upstream, k.substring(TRANSIENT_UPSTREAM_PREFIX.length()), v);
                }
            } else if (k.startsWith(TRANSIENT_PREFIX)) {
                if (k.length() > TRANSIENT_PREFIX.length()) {
                    transients = putNew(transients, k.substring(TRANSIENT_PREFIX.length()), v);
                }
            } else if (k.startsWith(PERSISTENT_PREFIX)) {
                if (k.length() > PERSISTENT_PREFIX.length()) {
                    persistents = putNew(persistents, k.substring(PERSISTENT_PREFIX.length()), v);
                }
            }
        }
        if (transients == null && upstream == null && persistents == null) {
            return EMPTY;
        }
        return new Metainfo(freeze(transients), freeze(upstream), freeze(persistents));
    }

    // ---------------------------------------------------------------- thread-local

    /** The calling thread's metainfo; {@link #empty()} if none is attached. */
    public static Metainfo current() {
        final Metainfo m = CURRENT.get();
        return m == null ? EMPTY : m;
    }

    /**
     * Makes this the calling thread's {@link #current()} metainfo until the returned scope is closed,
     * which restores the previous one. Use try-with-resources, on one thread.
     */
    public Scope attach() {
        final Metainfo previous = CURRENT.get();
        CURRENT.set(this);
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (closed) {
                    return;
                }
                closed = true;
                if (CURRENT.get() != Metainfo.this) {
                    // A scope opened later on this thread was not closed, or this one moved threads.
                    logger.warn("Metainfo scope closed out of order or on another thread; restoring anyway");
                }
                CURRENT.set(previous);
            }
        };
    }

    /** Undoes an {@link #attach()}. Closing twice does nothing. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        /** Restores the metainfo that was current before the attach. */
        @Override
        void close();
    }

    // ---------------------------------------------------------------- Object

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Metainfo)) {
            return false;
        }
        final Metainfo that = (Metainfo) o;
        return transients.equals(that.transients) && upstream.equals(that.upstream)
               && persistents.equals(that.persistents);
    }

    @Override
    public int hashCode() {
        return (transients.hashCode() * 31 + upstream.hashCode()) * 31 + persistents.hashCode();
    }

    @Override
    public String toString() {
        return "Metainfo{transients=" + transients + (upstream.isEmpty() ? "" : ", upstream=" + upstream)
               + ", persistents=" + persistents + '}';
    }

    private static Map<String, String> putNew(Map<String, String> map, String key, String value) {
        final Map<String, String> m = map == null ? new LinkedHashMap<>() : map;
        m.put(key, value);
        return m;
    }

    private static Map<String, String> freeze(Map<String, String> map) {
        return map == null || map.isEmpty() ? Map.of() : Collections.unmodifiableMap(map);
    }
}
