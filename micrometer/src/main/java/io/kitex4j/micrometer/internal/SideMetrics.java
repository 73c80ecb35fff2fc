package io.kitex4j.micrometer.internal;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.OneSidedMiddleware;
import io.kitex4j.core.middleware.ObservedCall;
import io.kitex4j.core.rpc.CallContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * The client or the server metrics middleware. Each call looks its {@link CallMeters} up by (caller, callee, method,
 * transport) in one map; only the first call of a combination builds tags and registers meters. A middleware on the
 * wrong side passes calls through unmetered, with a rate-limited warning. Not API: get it from
 * {@code KitexMetrics.clientMiddleware()} / {@code serverMiddleware()}.
 */
public final class SideMetrics extends OneSidedMiddleware {

    private final MeterRegistry registry;
    private final MeterNames names;
    private final boolean percentileHistograms;
    private final ConcurrentHashMap<Key, CallMeters> meters = new ConcurrentHashMap<>();
    // Guarded by this; touched only when a combination is not in meters yet.
    private final TagValues tagValues;

    /** The middleware of {@code side}, registering into {@code registry} under {@code prefix}. */
    public SideMetrics(MeterRegistry registry, String prefix, boolean percentileHistograms, CallContext.Side side,
                       int maxTagValues) {
        super(side, side == CallContext.Side.CLIENT
                ? "KitexMetrics.clientMiddleware() runs on a server; not metering (use serverMiddleware())"
                : "KitexMetrics.serverMiddleware() runs on a client; not metering (use clientMiddleware())");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.names = new MeterNames(prefix, side);
        this.percentileHistograms = percentileHistograms;
        this.tagValues = new TagValues(maxTagValues);
    }

    /** A combination of tag sources as the call context has them, before the tag value guard. */
    private record Key(String caller, String callee, String method, Transport transport) {}

    @Override
    protected CompletableFuture<Object> call(Endpoint next, CallContext ctx, Object request) {
        final CallMeters m = meters(ctx);
        final MeteredCall call = new MeteredCall(m, ctx, System.nanoTime());
        m.started();
        return call.follow(ObservedCall.invoke(next, ctx, request));
    }

    private CallMeters meters(CallContext ctx) {
        final Key key = new Key(ctx.callerService(), ctx.calleeService(), ctx.method(), ctx.transport());
        final CallMeters m = meters.get(key);
        return m != null ? m : register(key);
    }

    private synchronized CallMeters register(Key key) {
        final CallMeters cached = meters.get(key);
        if (cached != null) {
            return cached;
        }
        final String caller = tagValues.caller(key.caller());
        final String callee = tagValues.callee(key.callee());
        final String method = tagValues.method(callee, key.method());
        final Key tagged = new Key(caller, callee, method, key.transport());
        CallMeters m = meters.get(tagged);
        if (m == null) {
            final Tags tags = Tags.of("caller", caller, "callee", callee, "method", method, "transport",
                                      TagValues.transport(key.transport()));
            m = new CallMeters(registry, names, tags, percentileHistograms, side() == CallContext.Side.CLIENT);
            meters.put(tagged, m);
        }
        // A combination past the guard is not cached under its own key (that would grow without bound): its calls
        // come back here and share the "other" meters.
        if (!TagValues.OTHER.equals(caller) && !TagValues.OTHER.equals(callee) && !TagValues.OTHER.equals(method)) {
            meters.put(key, m);
        }
        return m;
    }

    /** The number of cached combinations, for tests. */
    int cachedCombinations() {
        return meters.size();
    }
}
