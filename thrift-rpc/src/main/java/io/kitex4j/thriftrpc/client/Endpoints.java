package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.Picker;
import java.util.concurrent.CompletableFuture;

/** Where a client's calls can go: a picker over the current instances. */
interface Endpoints extends AutoCloseable {

    /**
     * The current picker; completes once the instances are first known (at once for fixed
     * addresses, after discovery's first answer otherwise).
     */
    CompletableFuture<Picker> picker();

    /** Why there is no instance, for the error of a call that found none. */
    String describeEmpty();

    /** Makes {@code connections} drop its connections to addresses that leave the instance list. */
    void evictOnRemoval(ConnectionProvider connections);

    /** Stops watching. */
    @Override
    void close();

    /**
     * Picks an instance, avoiding the addresses a call already failed on when the picker offers
     * another: a few more picks are tried, then the first pick is taken anyway (consistent
     * hashing keeps returning the same instance, and a single instance is all there is). With an
     * {@link io.kitex4j.core.loadbalance.InstanceGate}, only allowed instances are returned, and
     * {@link AvoidingPicker.GateRejection} is thrown when none is.
     */
    static Instance pick(Picker picker, String hashKey, java.util.Collection<String> avoid) {
        if (picker instanceof AvoidingPicker a && a.gated()) {
            return a.pick(hashKey, avoid);
        }
        final Instance first = picker.pick(hashKey);
        if (first == null || avoid.isEmpty() || !avoid.contains(first.address())) {
            return first;
        }
        for (int i = 0; i < 8; i++) {
            final Instance next = picker.pick(hashKey);
            if (next == null) {
                break;
            }
            if (!avoid.contains(next.address())) {
                return next;
            }
        }
        return first;
    }
}
