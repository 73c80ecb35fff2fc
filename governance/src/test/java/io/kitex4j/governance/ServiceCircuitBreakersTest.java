package io.kitex4j.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.NoInstanceException;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.idl.interop.InvalidArgument;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The service breaker's state machine and timings on a controlled clock, against Kitex's (gopkg's). */
class ServiceCircuitBreakersTest {

    private static final String KEY = "web/echo/Echo";

    private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private final List<CircuitBreakerEvent> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger sent = new AtomicInteger();
    // What the next call's endpoint answers: null for success.
    private final AtomicReference<Throwable> answer = new AtomicReference<>();
    private final Endpoint terminal = (ctx, req) -> {
        sent.incrementAndGet();
        final Throwable t = answer.get();
        return t == null ? CompletableFuture.completedFuture("ok") : CompletableFuture.failedFuture(t);
    };
    private final TestCallContext echo = new TestCallContext("web", "echo", "Echo");

    private ServiceCircuitBreakers breakers(CircuitBreakerConfig config) {
        return ServiceCircuitBreakers.builder().defaultConfig(config).nanoClock(now::get).listener(events::add).build();
    }

    private static Throwable call(Endpoint e, TestCallContext ctx) {
        try {
            e.invoke(ctx, "req").get();
            return null;
        } catch (ExecutionException x) {
            return x.getCause();
        } catch (InterruptedException x) {
            throw new AssertionError(x);
        }
    }

    private void advanceMillis(long ms) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    private static RemoteApplicationException failure() {
        return new RemoteApplicationException("biz error: boom", 6, null);
    }

    @Test
    void kitexDefaultsOpenOnThe200thCallWhenEveryCallFailsFromThe51st() {
        // Observed with Kitex v0.16.3 (reference notes section 7): rate 0.5, min sample 200.
        final ServiceCircuitBreakers b = breakers(CircuitBreakerConfig.DEFAULT);
        final Endpoint e = b.middleware().wrap(terminal);
        int openedAt = 0;
        for (int i = 1; i <= 300 && openedAt == 0; i++) {
            answer.set(i > 50 ? failure() : null);
            call(e, echo);
            advanceMillis(1);
            if (b.state(KEY) == CircuitBreakerState.OPEN) {
                openedAt = i;
            }
        }
        assertThat(openedAt).isEqualTo(200);
        final int before = sent.get();
        assertThat(call(e, echo)).isInstanceOf(CircuitBreakerOpenException.class)
                .hasMessage("forbidden by circuitbreaker: service circuitbreak");
        assertThat(sent).hasValue(before);
        assertThat(events).containsExactly(new CircuitBreakerEvent(CircuitBreakerEvent.Scope.SERVICE, KEY,
                CircuitBreakerState.CLOSED, CircuitBreakerState.OPEN, 50, 150, 0));
    }

    @Test
    void opensAtTheFailureThatReachesBothThresholds() {
        final ServiceCircuitBreakers b = breakers(new CircuitBreakerConfig(true, 0.5, 10));
        final Endpoint e = b.middleware().wrap(terminal);
        // 5 successes, 4 failures: 9 samples, under the minimum.
        for (int i = 0; i < 9; i++) {
            answer.set(i < 5 ? null : failure());
            call(e, echo);
        }
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        // A success reaches the sample but is not a failure: no trip check.
        answer.set(null);
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        // 11 samples, 5 failures: 0.45.
        answer.set(failure());
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        // 12 samples, 6 failures: 0.5.
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.OPEN);
    }

    @Test
    void coolsFiveSecondsThenProbesEvery200msAndTwoSuccessesClose() {
        final ServiceCircuitBreakers b = breakers(new CircuitBreakerConfig(true, 0.5, 2));
        final Endpoint e = b.middleware().wrap(terminal);
        answer.set(failure());
        call(e, echo);
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.OPEN);
        answer.set(null);
        advanceMillis(4999);
        assertThat(call(e, echo)).isInstanceOf(CircuitBreakerOpenException.class);
        advanceMillis(1);
        final int before = sent.get();
        // The first probe, then nothing for 200 ms.
        assertThat(call(e, echo)).isNull();
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.HALF_OPEN);
        assertThat(call(e, echo)).isInstanceOf(CircuitBreakerOpenException.class);
        advanceMillis(199);
        assertThat(call(e, echo)).isInstanceOf(CircuitBreakerOpenException.class);
        advanceMillis(1);
        assertThat(call(e, echo)).isNull();
        assertThat(sent.get() - before).isEqualTo(2);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(events).extracting(CircuitBreakerEvent::to).containsExactly(CircuitBreakerState.OPEN,
                CircuitBreakerState.HALF_OPEN, CircuitBreakerState.CLOSED);
        // Closing empties the window: one failure is now 1 of 1, and 2 are needed.
        answer.set(failure());
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
    }

    @Test
    void aFailedProbeOpensItAgainForAnotherCoolingPeriod() {
        final ServiceCircuitBreakers b = breakers(new CircuitBreakerConfig(true, 0.5, 2));
        final Endpoint e = b.middleware().wrap(terminal);
        answer.set(failure());
        call(e, echo);
        call(e, echo);
        advanceMillis(5000);
        answer.set(new RpcTimeoutException("rpc timeout: timeout=50ms", Duration.ofMillis(50), true, null));
        assertThat(call(e, echo)).isInstanceOf(RpcTimeoutException.class);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.OPEN);
        advanceMillis(4999);
        assertThat(call(e, echo)).isInstanceOf(CircuitBreakerOpenException.class);
        advanceMillis(1);
        answer.set(null);
        assertThat(call(e, echo)).isNull();
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.HALF_OPEN);
        assertThat(events.get(2)).isEqualTo(new CircuitBreakerEvent(CircuitBreakerEvent.Scope.SERVICE, KEY,
                CircuitBreakerState.HALF_OPEN, CircuitBreakerState.OPEN, 0, 2, 1));
    }

    @Test
    void theWindowIsTenSeconds() {
        final ServiceCircuitBreakers b = breakers(new CircuitBreakerConfig(true, 0.5, 4));
        final Endpoint e = b.middleware().wrap(terminal);
        answer.set(failure());
        call(e, echo);
        call(e, echo);
        call(e, echo);
        advanceMillis(10_000);
        // The three failures left the window: one more is 1 of 1, under the minimum.
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        call(e, echo);
        call(e, echo);
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.OPEN);
    }

    @Test
    void anOpenBreakerWhoseWindowEmptiedStartsOverClosed() {
        // gopkg's panel drops a breaker with no samples; the next call makes a closed one.
        final ServiceCircuitBreakers b = breakers(new CircuitBreakerConfig(true, 0.5, 2));
        final Endpoint e = b.middleware().wrap(terminal);
        answer.set(failure());
        call(e, echo);
        call(e, echo);
        advanceMillis(10_000);
        answer.set(null);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(call(e, echo)).isNull();
        assertThat(call(e, echo)).isNull();
        assertThat(events).extracting(CircuitBreakerEvent::to).containsExactly(CircuitBreakerState.OPEN,
                CircuitBreakerState.CLOSED);
    }

    @Test
    void errorsCountAsKitexsServiceLevelClassificationSays() {
        final ServiceCircuitBreakers b = breakers(new CircuitBreakerConfig(true, 0.5, 2));
        final Endpoint e = b.middleware().wrap(terminal);
        // Declared exceptions and business statuses are answers: successes.
        for (Throwable t : List.<Throwable>of(new InvalidArgument(), new BizStatusException(503, "busy"))) {
            answer.set(t);
            for (int i = 0; i < 5; i++) {
                call(e, echo);
            }
        }
        // No instance is not counted at all.
        answer.set(new NoInstanceException("no instance"));
        for (int i = 0; i < 50; i++) {
            call(e, echo);
        }
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        // 10 successes: 10 failures reach 0.5.
        answer.set(failure());
        for (int i = 0; i < 9; i++) {
            call(e, echo);
        }
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.CLOSED);
        call(e, echo);
        assertThat(b.state(KEY)).isEqualTo(CircuitBreakerState.OPEN);
        assertThat(events.get(0).successes()).isEqualTo(10);
        assertThat(events.get(0).failures()).isEqualTo(10);
    }

    @Test
    void breakersAreKeyedFromToMethodAndConfiguredPerMethodLive() {
        final AtomicReference<ClientPolicies> policies = new AtomicReference<>(ClientPolicies.builder()
                .circuitBreaker("Echo", new CircuitBreakerConfig(true, 0.5, 2))
                .circuitBreaker("Ping", new CircuitBreakerConfig(false, 0.5, 1))
                .build());
        final ServiceCircuitBreakers b = ServiceCircuitBreakers.builder().policies(policies::get)
                .nanoClock(now::get).build();
        final Endpoint e = b.middleware().wrap(terminal);
        final TestCallContext ping = new TestCallContext("web", "echo", "Ping");
        final TestCallContext otherCaller = new TestCallContext("api", "echo", "Echo");
        answer.set(failure());
        for (int i = 0; i < 5; i++) {
            call(e, ping);
        }
        call(e, otherCaller);
        assertThat(b.states()).containsOnlyKeys("api/echo/Echo");
        call(e, echo);
        call(e, echo);
        assertThat(b.state("web/echo/Echo")).isEqualTo(CircuitBreakerState.OPEN);
        assertThat(b.state("api/echo/Echo")).isEqualTo(CircuitBreakerState.CLOSED);
        // Disabling it lets calls through at once, uncounted.
        policies.set(ClientPolicies.builder().circuitBreaker("*", new CircuitBreakerConfig(false, 0.5, 2)).build());
        answer.set(null);
        assertThat(call(e, echo)).isNull();
        // A method without a config of its own gets the default: 200 samples.
        policies.set(ClientPolicies.empty());
        answer.set(failure());
        for (int i = 0; i < 150; i++) {
            call(e, otherCaller);
        }
        assertThat(b.state("api/echo/Echo")).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(ServiceCircuitBreakers.key("a", "b", "c")).isEqualTo("a/b/c");
    }

    @Test
    void aListenerThatThrowsDoesNotBreakTheCall() {
        final ServiceCircuitBreakers b = ServiceCircuitBreakers.builder()
                .defaultConfig(new CircuitBreakerConfig(true, 0.5, 1)).nanoClock(now::get)
                .listener(ev -> {
                    throw new IllegalStateException("listener bug");
                }).listener(events::add).build();
        answer.set(failure());
        assertThat(call(b.middleware().wrap(terminal), echo)).isInstanceOf(RemoteApplicationException.class);
        assertThat(events).hasSize(1);
    }

    @Test
    void buildChecksItsArguments() {
        assertThatThrownBy(() -> ServiceCircuitBreakers.builder().policies(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("policies:");
        assertThatThrownBy(() -> ServiceCircuitBreakers.builder().timings(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("timings:");
        assertThatThrownBy(() -> ServiceCircuitBreakers.builder().listener(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("listener:");
        assertThatThrownBy(() -> new CircuitBreakerTimings(Duration.ZERO, 100, Duration.ofSeconds(5),
                Duration.ofMillis(200), 2)).hasMessage("bucket: PT0S (expected: > 0)");
        assertThatThrownBy(() -> new CircuitBreakerTimings(Duration.ofMillis(100), 0, Duration.ofSeconds(5),
                Duration.ofMillis(200), 2)).hasMessage("buckets: 0 (expected: >= 1)");
        assertThatThrownBy(() -> new CircuitBreakerTimings(Duration.ofMillis(100), 100, Duration.ofSeconds(5),
                Duration.ofMillis(200), 0)).hasMessage("halfOpenSuccesses: 0 (expected: >= 1)");
        assertThat(CircuitBreakerTimings.DEFAULT.window()).isEqualTo(Duration.ofSeconds(10));
    }
}
