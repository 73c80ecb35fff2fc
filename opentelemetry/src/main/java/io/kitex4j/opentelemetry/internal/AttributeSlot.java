package io.kitex4j.opentelemetry.internal;

import io.opentelemetry.api.common.Attributes;

/**
 * The metric attributes of the last call of one shape, so that calls that look like the previous one (the common
 * case: one client calling one service, one server answering the same callers) record with the same
 * {@link Attributes} instead of building a new set each time. One slot, compared by value: a miss only costs the
 * build it saves on a hit.
 */
final class AttributeSlot {

    private volatile Entry last;

    /** The attributes stored for these parts, or {@code null}. */
    Attributes find(String a, String b, String c, String d, String e, String f, String g, long n) {
        final Entry x = last;
        return x != null && x.n == n && eq(x.a, a) && eq(x.b, b) && eq(x.c, c) && eq(x.d, d) && eq(x.e, e)
               && eq(x.f, f) && eq(x.g, g) ? x.attributes : null;
    }

    /** Remembers {@code attributes} for these parts and returns them. */
    Attributes store(String a, String b, String c, String d, String e, String f, String g, long n,
                     Attributes attributes) {
        last = new Entry(a, b, c, d, e, f, g, n, attributes);
        return attributes;
    }

    private static boolean eq(String x, String y) {
        return x == y || (x != null && x.equals(y));
    }

    private record Entry(String a, String b, String c, String d, String e, String f, String g, long n,
                         Attributes attributes) {
    }
}
