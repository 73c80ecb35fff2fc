package io.kitex4j.micrometer.internal;

import io.kitex4j.core.rpc.CallContext;

/** The meter names of one side under one prefix, built once. */
final class MeterNames {

    final String requests;
    final String duration;
    final String active;
    final String attempts;

    MeterNames(String prefix, CallContext.Side side) {
        final String base = prefix + (side == CallContext.Side.CLIENT ? ".client." : ".server.");
        this.requests = base + "requests";
        this.duration = base + "duration";
        this.active = base + "active.requests";
        this.attempts = base + "attempts";
    }
}
