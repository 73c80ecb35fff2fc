package io.kitex4j.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link InstanceCircuitBreakers} in a real client over loopback: an instance that times out is taken out of the
 * picker, probed back after the cooling timeout, and when every instance is out calls fail at once.
 */
@ExtendWith(NettyLeakDetection.class)
class InstanceCircuitBreakersClientTest {

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /**
     * Answers with its name; stalls 300 ms, past the client's timeout, while {@code slow} is set; records each
     * call's persistent {@code RetryReq} ({@code ""} if none).
     */
    static final class Handler implements EchoServer.Iface {
        final String name;
        final AtomicInteger calls = new AtomicInteger();
        final List<String> retryReqs = new CopyOnWriteArrayList<>();
        volatile boolean slow;

        Handler(String name) {
            this.name = name;
        }

        @Override
        public Response Echo(Request req) {
            calls.incrementAndGet();
            final String retryReq = io.kitex4j.core.Metainfo.current().persistentValue("RetryReq");
            retryReqs.add(retryReq == null ? "" : retryReq);
            if (slow) {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new Response(req.getAction(), name);
        }

        @Override
        public ComplexResponse EchoComplex(ComplexRequest req) {
            throw new UnsupportedOperationException();
        }
    }

    static String start(Handler h, List<AutoCloseable> closeables) {
        final KitexServer s = KitexServer.builder().address("127.0.0.1", 0).service(EchoServer.class, h)
                .shutdownHook(false).exitWait(Duration.ZERO).build().startBlocking();
        closeables.add(s);
        return "127.0.0.1:" + s.port();
    }

    private String start(Handler h) {
        return start(h, closeables);
    }

    @Test
    void aTimingOutInstanceIsLeftOutThenProbedBackAndNoneLeftFailsFast() throws Exception {
        final Handler a = new Handler("a");
        final Handler b = new Handler("b");
        final String addrA = start(a);
        final String addrB = start(b);
        final List<CircuitBreakerEvent> events = new CopyOnWriteArrayList<>();
        // Real time, plus jumps the test makes to empty the windows.
        final java.util.concurrent.atomic.AtomicLong skew = new java.util.concurrent.atomic.AtomicLong();
        final InstanceCircuitBreakers breakers = InstanceCircuitBreakers.builder()
                .config(new CircuitBreakerConfig(true, 0.5, 4))
                .timings(new CircuitBreakerTimings(Duration.ofMillis(100), 100, Duration.ofSeconds(1),
                        Duration.ofMillis(200), 2))
                .listener(events::add).nanoClock(() -> System.nanoTime() + skew.get()).build();
        // Warm up (classes, server threads) with a plain client, so that no call to a times out on a cold JVM.
        try (KitexClient plain = KitexClient.builder().service("echo").addresses(addrA, addrB).build()) {
            for (int i = 0; i < 10; i++) {
                plain.stub(EchoServer.Iface.class).Echo(new Request("whoami", ""));
            }
        }
        a.calls.set(0);
        b.calls.set(0);
        final KitexClient client = KitexClient.builder().service("echo").addresses(addrA, addrB)
                .rpcTimeout(Duration.ofMillis(100)).instanceGate(breakers).middleware(breakers.middleware()).build();
        closeables.add(client);
        final EchoServer.Iface stub = client.stub(EchoServer.Iface.class);

        b.slow = true;
        int timeouts = 0;
        for (int i = 0; i < 40; i++) {
            try {
                assertThat(stub.Echo(new Request("whoami", "")).getMsg()).isEqualTo("a");
            } catch (RpcTimeoutException e) {
                timeouts++;
            }
        }
        // Round robin sends every other call to b until its fourth timeout opens its breaker.
        assertThat(timeouts).isEqualTo(4);
        assertThat(b.calls).hasValue(4);
        assertThat(breakers.state(addrB)).isEqualTo(CircuitBreakerState.OPEN);
        assertThat(breakers.state(addrA)).isEqualTo(CircuitBreakerState.CLOSED);

        // b answers again: after the cooling timeout, probes close its breaker.
        b.slow = false;
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            stub.Echo(new Request("whoami", ""));
            assertThat(breakers.state(addrB)).isEqualTo(CircuitBreakerState.CLOSED);
        });
        assertThat(events).extracting(CircuitBreakerEvent::key).containsOnly(addrB);
        assertThat(events).extracting(CircuitBreakerEvent::to).containsExactly(CircuitBreakerState.OPEN,
                CircuitBreakerState.HALF_OPEN, CircuitBreakerState.CLOSED);
        final int before = b.calls.get();
        for (int i = 0; i < 10; i++) {
            stub.Echo(new Request("whoami", ""));
        }
        assertThat(b.calls.get() - before).isEqualTo(5);

        // Both stall (and the windows are forgotten, 10 s later): both open, then calls fail at once without a
        // request.
        skew.addAndGet(Duration.ofSeconds(11).toNanos());
        a.slow = true;
        b.slow = true;
        for (int i = 0; i < 12 && (breakers.state(addrA) != CircuitBreakerState.OPEN
                || breakers.state(addrB) != CircuitBreakerState.OPEN); i++) {
            try {
                stub.Echo(new Request("whoami", ""));
            } catch (RpcTimeoutException e) {
                // counted
            }
        }
        final int sent = a.calls.get() + b.calls.get();
        assertThatThrownBy(() -> stub.Echo(new Request("whoami", "")))
                .isInstanceOf(CircuitBreakerOpenException.class)
                .hasMessage("forbidden by circuitbreaker: instance circuitbreak");
        assertThat(a.calls.get() + b.calls.get()).isEqualTo(sent);
    }
}
