package io.kitex4j.thriftrpc;

import static java.util.Objects.requireNonNull;

import io.kitex4j.thriftrpc.codec.MetaKeys;
import io.kitex4j.thriftrpc.codec.TTHeader;
import io.netty.util.concurrent.FastThreadLocal;
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
 * response's TTHeader: see {@link #backwardFromResponse} and {@link #writeBackward}.</li>
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
 * A server builds {@link #fromRequest} from the request header, then gives its handler
 * {@code fromRequest(h).forNextHop()} (Kitex's {@code TransferForward}); the handler reads every
 * received value, and any call it makes carries only the persistent values plus the transients the
 * handler set itself. {@link #writeTo} writes transients and persistents, never upstream values.
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

    private static final Metainfo EMPTY = new Metainfo(Map.of(), Map.of(), Map.of());
    // A FastThreadLocal: a set and remove per call allocate nothing (a ThreadLocal entry per set would).
    private static final FastThreadLocal<Metainfo> CURRENT = new FastThreadLocal<>();

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
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        if (key.isEmpty() || value.isEmpty()) {
            return this;
        }
        return new Metainfo(put(transients, key, value), remove(upstream, key), persistents);
    }

    /** With persistent value {@code key=value}. Ignored, as in Go, if the key or the value is empty. */
    public Metainfo withPersistent(String key, String value) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        if (key.isEmpty() || value.isEmpty()) {
            return this;
        }
        return new Metainfo(transients, upstream, put(persistents, key, value));
    }

    /** Without the transient (or upstream) value of {@code key} (Go's {@code DelValue}). */
    public Metainfo withoutTransient(String key) {
        if (!transients.containsKey(key) && !upstream.containsKey(key)) {
            return this;
        }
        return new Metainfo(remove(transients, key), remove(upstream, key), persistents);
    }

    /** Without the persistent value of {@code key} (Go's {@code DelPersistentValue}). */
    public Metainfo withoutPersistent(String key) {
        if (!persistents.containsKey(key)) {
            return this;
        }
        return new Metainfo(transients, upstream, remove(persistents, key));
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

    /** The transient values that {@link #writeTo} sends: those set (or received) but not upstream ones. */
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
     * Adds the values to send to a request header: {@code RPC_TRANSIT_<k>} for each
     * {@linkplain #outgoingTransients() outgoing transient}, {@code RPC_PERSIST_<k>} for each
     * persistent (Go's {@code SaveMetaInfoToMap}). {@code RPC_TRANSIT_gdpr-token} ends up in the
     * header's ACL-token block, as with Kitex.
     */
    public void writeTo(TTHeader.Builder builder) {
        requireNonNull(builder, "builder");
        transients.forEach((k, v) -> builder.string(MetaKeys.TRANSIT_PREFIX + k, v));
        persistents.forEach((k, v) -> builder.string(MetaKeys.PERSIST_PREFIX + k, v));
    }

    /** The string key-values {@link #writeTo} adds, with their prefixes. */
    public Map<String, String> toHeaderStrings() {
        final Map<String, String> out = new LinkedHashMap<>();
        transients.forEach((k, v) -> out.put(MetaKeys.TRANSIT_PREFIX + k, v));
        persistents.forEach((k, v) -> out.put(MetaKeys.PERSIST_PREFIX + k, v));
        return out;
    }

    /**
     * The metainfo a server received, from the request's TTHeader (Go's {@code SetMetaInfoFromMap}):
     * {@code RPC_TRANSIT_<k>} as transient {@code k}, {@code RPC_PERSIST_<k>} as persistent {@code k}.
     * {@code RPC_TRANSIT_UPSTREAM_<k>} is read as an upstream value, other keys are not metainfo, and
     * empty keys and values are skipped. Give the handler {@code fromRequest(h).forNextHop()}.
     *
     * @param header the request header, or {@code null} (a transport without TTHeader): empty
     */
    public static Metainfo fromRequest(TTHeader header) {
        return header == null ? EMPTY : fromHeaderStrings(header.strings());
    }

    /** As {@link #fromRequest(TTHeader)}, from the header's string key-values. */
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
            if (k.startsWith(MetaKeys.TRANSIT_UPSTREAM_PREFIX)) {
                if (k.length() > MetaKeys.TRANSIT_UPSTREAM_PREFIX.length()) {
                    upstream = putNew(upstream, k.substring(MetaKeys.TRANSIT_UPSTREAM_PREFIX.length()), v);
                }
            } else if (k.startsWith(MetaKeys.TRANSIT_PREFIX)) {
                if (k.length() > MetaKeys.TRANSIT_PREFIX.length()) {
                    transients = putNew(transients, k.substring(MetaKeys.TRANSIT_PREFIX.length()), v);
                }
            } else if (k.startsWith(MetaKeys.PERSIST_PREFIX)) {
                if (k.length() > MetaKeys.PERSIST_PREFIX.length()) {
                    persistents = putNew(persistents, k.substring(MetaKeys.PERSIST_PREFIX.length()), v);
                }
            }
        }
        if (transients == null && upstream == null && persistents == null) {
            return EMPTY;
        }
        return new Metainfo(freeze(transients), freeze(upstream), freeze(persistents));
    }

    /**
     * The backward values a client receives with a response: like Kitex's client
     * ({@code metainfo.SetBackwardValuesFromMap}), <em>every</em> string key-value of the response header,
     * unprefixed and unfiltered (so Kitex's own keys such as {@code biz-status} or {@code crrst} appear
     * too). Empty if {@code header} is {@code null}. Unmodifiable.
     */
    public static Map<String, String> backwardFromResponse(TTHeader header) {
        return header == null ? Map.of() : header.strings();
    }

    /**
     * How a server sends backward values (Go's {@code metainfo.SendBackwardValue}): each one as a raw
     * string key of the response header. Call it before adding the keys the server writes itself
     * ({@code biz-*}, {@code crrst}), so that those win on a clash. Only TTHeader responses carry them.
     */
    public static void writeBackward(Map<String, String> values, TTHeader.Builder responseHeader) {
        requireNonNull(responseHeader, "responseHeader");
        requireNonNull(values, "values").forEach(responseHeader::string);
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
                if (previous == null) {
                    CURRENT.remove();
                } else {
                    CURRENT.set(previous);
                }
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

    private static Map<String, String> put(Map<String, String> map, String key, String value) {
        final Map<String, String> copy = new LinkedHashMap<>(map);
        copy.put(key, value);
        return Collections.unmodifiableMap(copy);
    }

    private static Map<String, String> remove(Map<String, String> map, String key) {
        if (!map.containsKey(key)) {
            return map;
        }
        final Map<String, String> copy = new LinkedHashMap<>(map);
        copy.remove(key);
        return copy.isEmpty() ? Map.of() : Collections.unmodifiableMap(copy);
    }

    private static Map<String, String> putNew(Map<String, String> map, String key, String value) {
        final Map<String, String> m = map == null ? new LinkedHashMap<>() : map;
        m.put(key, value);
        return m;
    }

    private static Map<String, String> freeze(Map<String, String> map) {
        return map == null ? Map.of() : Collections.unmodifiableMap(map);
    }
}
