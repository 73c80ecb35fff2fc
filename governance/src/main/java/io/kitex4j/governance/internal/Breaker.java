package io.kitex4j.governance.internal;

import io.kitex4j.governance.CircuitBreakerConfig;
import io.kitex4j.governance.CircuitBreakerEvent;
import io.kitex4j.governance.CircuitBreakerState;
import io.kitex4j.governance.CircuitBreakerTimings;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One circuit breaker, bytedance/gopkg's {@code circuitbreaker.breaker} with Kitex's trip function
 * ({@code RateTripFunc(errRate, minSample)}):
 * <ul>
 *   <li><b>closed</b>: every outcome is counted in the window; after a failure or timeout, if the window
 *       holds at least {@code minSample} outcomes and the error rate is at least {@code errorRate}, it opens.
 *   <li><b>open</b>: {@link #isAllowed()} is false until {@code coolingTimeout} has passed since it opened;
 *       then the call that asks is let through as the first probe and the breaker is half-open.
 *   <li><b>half-open</b>: one call per {@code detectTimeout} is let through; a success (not counted in the
 *       window) adds to the successes, and {@code halfOpenSuccesses} of them close it with an empty window; a
 *       failure or timeout (counted) opens it again, with a new cooling period.
 * </ul>
 * Errors are counted in every state, as gopkg does (the outcomes of calls let through before it opened still
 * arrive).
 *
 * <p>gopkg's panel drops a breaker whose window has emptied (checked every bucket) and makes a new, closed
 * one on the next call: here an open or half-open breaker with an empty window goes back to closed when it
 * is next used, which is the same thing seen from the calls, and is reported as a state change (gopkg says
 * nothing).
 *
 * <p>Thread-safe: the state is a volatile read on the closed path of {@link #isAllowed()}; changes are made
 * under the breaker's lock and reported to the listener after it is released.
 */
public final class Breaker {

    private final CircuitBreakerEvent.Scope scope;
    private final String key;
    private final ErrorWindow window;
    private final LongSupplier clock;
    private final long coolingNanos;
    private final long detectNanos;
    private final int halfOpenSuccesses;
    private final Consumer<CircuitBreakerEvent> listener;
    private volatile CircuitBreakerState state = CircuitBreakerState.CLOSED;
    // Guarded by this.
    private long openedAt;
    private long lastProbeAt;
    private int probeSuccesses;

    /**
     * @param listener told of each state change, outside the lock
     */
    public Breaker(CircuitBreakerEvent.Scope scope, String key, CircuitBreakerTimings timings, LongSupplier nanoClock,
                   Consumer<CircuitBreakerEvent> listener) {
        this.scope = scope;
        this.key = key;
        this.window = new ErrorWindow(timings.bucket().toNanos(), timings.buckets(), nanoClock);
        this.clock = nanoClock;
        this.coolingNanos = timings.coolingTimeout().toNanos();
        this.detectNanos = timings.detectTimeout().toNanos();
        this.halfOpenSuccesses = timings.halfOpenSuccesses();
        this.listener = listener;
    }

    /** The key. */
    public String key() {
        return key;
    }

    /** The state now (an open or half-open breaker whose window emptied reads as closed). */
    public CircuitBreakerState state() {
        final CircuitBreakerState s = state;
        if (s == CircuitBreakerState.CLOSED) {
            return s;
        }
        CircuitBreakerEvent e;
        synchronized (this) {
            e = expireIfIdle();
        }
        fire(e);
        return state;
    }

    /** The outcomes in the window. */
    public long samples() {
        return window.samples();
    }

    /** The error rate of the window. */
    public double errorRate() {
        return window.errorRate();
    }

    /** Whether a call may go through now; while half-open, a {@code true} is the probe of this period. */
    public boolean isAllowed() {
        if (state == CircuitBreakerState.CLOSED) {
            return true;
        }
        CircuitBreakerEvent event;
        final boolean allowed;
        synchronized (this) {
            event = expireIfIdle();
            final long now = clock.getAsLong();
            switch (state) {
                case OPEN -> {
                    if (now - openedAt < coolingNanos) {
                        allowed = false;
                    } else {
                        event = change(CircuitBreakerState.HALF_OPEN);
                        probeSuccesses = 0;
                        lastProbeAt = now;
                        allowed = true;
                    }
                }
                case HALF_OPEN -> {
                    if (now - lastProbeAt < detectNanos) {
                        allowed = false;
                    } else {
                        lastProbeAt = now;
                        allowed = true;
                    }
                }
                default -> allowed = true;
            }
        }
        fire(event);
        return allowed;
    }

    /** A call succeeded. */
    public void succeed() {
        if (state == CircuitBreakerState.CLOSED) {
            window.success();
            return;
        }
        CircuitBreakerEvent event;
        synchronized (this) {
            event = expireIfIdle();
            switch (state) {
                case CLOSED -> window.success();
                case HALF_OPEN -> {
                    if (++probeSuccesses >= halfOpenSuccesses) {
                        event = change(CircuitBreakerState.CLOSED);
                        window.reset();
                    }
                }
                default -> {
                    // Open: gopkg does nothing.
                }
            }
        }
        fire(event);
    }

    /** A call failed (not a timeout); {@code config} says when a closed breaker opens. */
    public void fail(CircuitBreakerConfig config) {
        error(false, config);
    }

    /** A call timed out; {@code config} says when a closed breaker opens. */
    public void timeout(CircuitBreakerConfig config) {
        error(true, config);
    }

    private void error(boolean timeout, CircuitBreakerConfig config) {
        final CircuitBreakerEvent expired;
        CircuitBreakerEvent event = null;
        synchronized (this) {
            expired = expireIfIdle();
            if (timeout) {
                window.timeout();
            } else {
                window.failure();
            }
            switch (state) {
                case HALF_OPEN -> {
                    event = change(CircuitBreakerState.OPEN);
                    openedAt = clock.getAsLong();
                }
                case CLOSED -> {
                    if (window.samples() >= config.minSample() && window.errorRate() >= config.errorRate()) {
                        event = change(CircuitBreakerState.OPEN);
                        openedAt = clock.getAsLong();
                    }
                }
                default -> {
                    // Open: counted only.
                }
            }
        }
        fire(expired);
        fire(event);
    }

    /** gopkg's panel drops a breaker with an empty window: an open or half-open one starts over closed. */
    private CircuitBreakerEvent expireIfIdle() {
        if (state != CircuitBreakerState.CLOSED && window.samples() == 0) {
            final CircuitBreakerEvent e = change(CircuitBreakerState.CLOSED);
            window.reset();
            return e;
        }
        return null;
    }

    private CircuitBreakerEvent change(CircuitBreakerState to) {
        final CircuitBreakerState from = state;
        state = to;
        return new CircuitBreakerEvent(scope, key, from, to, window.successes(), window.failures(), window.timeouts());
    }

    private void fire(CircuitBreakerEvent event) {
        if (event != null) {
            listener.accept(event);
        }
    }

    @Override
    public String toString() {
        return "Breaker{" + key + ", " + state + '}';
    }
}
