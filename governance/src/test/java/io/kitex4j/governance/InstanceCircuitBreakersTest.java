package io.kitex4j.governance;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.ConnectFailedException;
import io.kitex4j.core.RemoteApplicationException;
import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.middleware.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Instance breakers: fed by the middleware per address, asked by the picker as a gate. */
class InstanceCircuitBreakersTest {

    private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private final List<CircuitBreakerEvent> events = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> answer = new AtomicReference<>();
    private final Endpoint terminal = (ctx, req) -> {
        final Throwable t = answer.get();
        return t == null ? CompletableFuture.completedFuture("ok") : CompletableFuture.failedFuture(t);
    };
    private final InstanceCircuitBreakers breakers = InstanceCircuitBreakers.builder()
            .config(new CircuitBreakerConfig(true, 0.5, 4)).nanoClock(now::get).listener(events::add).build();
    private final Endpoint endpoint = breakers.middleware().wrap(terminal);

    private void callAt(String host, int port) throws Exception {
        final TestCallContext ctx = new TestCallContext("web", "echo", "Echo");
        ctx.remote = new InetSocketAddress(InetAddress.getByName(host), port);
        endpoint.invoke(ctx, "req").handle((v, e) -> null).get();
    }

    @Test
    void connectFailuresAndTimeoutsOpenAnInstancesBreakerOtherErrorsDoNot() throws Exception {
        final Instance a = Instance.of("10.0.0.1:80", 10);
        final Instance b = Instance.of("10.0.0.2:80", 10);
        answer.set(new RemoteApplicationException("biz error", 6, null));
        for (int i = 0; i < 10; i++) {
            callAt("10.0.0.1", 80);
        }
        assertThat(breakers.allows(a)).isTrue();
        answer.set(new ConnectFailedException("connect refused", null));
        for (int i = 0; i < 9; i++) {
            callAt("10.0.0.1", 80);
        }
        assertThat(breakers.state("10.0.0.1:80")).isEqualTo(CircuitBreakerState.CLOSED);
        answer.set(new RpcTimeoutException("rpc timeout", Duration.ofMillis(10), true, null));
        callAt("10.0.0.1", 80);
        assertThat(breakers.state("10.0.0.1:80")).isEqualTo(CircuitBreakerState.OPEN);
        assertThat(breakers.allows(a)).isFalse();
        assertThat(breakers.allows(b)).isTrue();
        assertThat(events).containsExactly(new CircuitBreakerEvent(CircuitBreakerEvent.Scope.INSTANCE, "10.0.0.1:80",
                CircuitBreakerState.CLOSED, CircuitBreakerState.OPEN, 10, 9, 1));

        // After cooling, one probe per detect timeout.
        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        assertThat(breakers.allows(a)).isTrue();
        assertThat(breakers.allows(a)).isFalse();
        answer.set(null);
        callAt("10.0.0.1", 80);
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(breakers.allows(a)).isTrue();
        callAt("10.0.0.1", 80);
        assertThat(breakers.state("10.0.0.1:80")).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(breakers.allows(a)).isTrue();
    }

    @Test
    void theRejectionHasKitexsText() {
        assertThat(breakers.rejection("echo")).isInstanceOf(CircuitBreakerOpenException.class)
                .hasMessage("forbidden by circuitbreaker: instance circuitbreak");
        assertThat(((CircuitBreakerOpenException) breakers.rejection("echo")).mayHaveReachedServer()).isFalse();
    }

    @Test
    void ipv6AddressesMatchHoweverTheInstanceWritesThem() throws Exception {
        answer.set(new ConnectFailedException("refused", null));
        for (int i = 0; i < 4; i++) {
            callAt("::1", 8888);
        }
        assertThat(breakers.allows(Instance.of("[::1]:8888", 10))).isFalse();
        assertThat(breakers.allows(Instance.of("[0:0:0:0:0:0:0:1]:8888", 10))).isFalse();
        assertThat(breakers.allows(Instance.of("[::1]:8889", 10))).isTrue();
    }

    @Test
    void aDisabledConfigAllowsEverything() throws Exception {
        final InstanceCircuitBreakers off = InstanceCircuitBreakers.builder()
                .config(new CircuitBreakerConfig(false, 0.5, 1)).nanoClock(now::get).build();
        final TestCallContext ctx = new TestCallContext("web", "echo", "Echo");
        ctx.remote = new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 80);
        answer.set(new ConnectFailedException("refused", null));
        off.middleware().wrap(terminal).invoke(ctx, "r").handle((v, e) -> null).get();
        assertThat(off.allows(Instance.of("10.0.0.1:80", 10))).isTrue();
        assertThat(off.states()).isEmpty();
    }
}
