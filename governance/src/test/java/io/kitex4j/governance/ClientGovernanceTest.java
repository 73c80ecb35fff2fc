package io.kitex4j.governance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.RpcTimeoutException;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ClientGovernance} as a whole in a real client over loopback: retries, the service breaker judging each
 * attempt inside them, the instance breakers' gate, and the builder's checks.
 */
@ExtendWith(NettyLeakDetection.class)
class ClientGovernanceTest {

    private static final CircuitBreakerTimings FAST = new CircuitBreakerTimings(Duration.ofMillis(100), 100,
            Duration.ofSeconds(30), Duration.ofMillis(200), 2);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private String start(InstanceCircuitBreakersClientTest.Handler h) {
        return InstanceCircuitBreakersClientTest.start(h, closeables);
    }

    private KitexClient client(ClientGovernance g, String... addresses) {
        final KitexClient c = KitexClient.builder().service("echo").fromService("caller")
                .transport(io.kitex4j.core.Transport.TTHEADER).addresses(addresses)
                .rpcTimeout(Duration.ofMillis(150))
                .middleware(g.middleware()).timeoutProvider(g.timeoutProvider()).instanceGate(g.instanceGate())
                .build();
        closeables.add(c);
        return c;
    }

    @Test
    void aTimedOutAttemptIsRetriedOnTheOtherInstanceWhichThenTakesTheSlowOneOutOfThePicker() throws Exception {
        final InstanceCircuitBreakersClientTest.Handler a = new InstanceCircuitBreakersClientTest.Handler("a");
        final InstanceCircuitBreakersClientTest.Handler b = new InstanceCircuitBreakersClientTest.Handler("b");
        final String addrA = start(a);
        final String addrB = start(b);
        final List<CircuitBreakerEvent> events = new CopyOnWriteArrayList<>();
        final ClientGovernance g = ClientGovernance.builder()
                .policies(ClientPolicies.builder().retry("*", RetryPolicy.failure().maxRetryTimes(1)
                        .retryBreakerErrorRate(0.3).build()).build())
                .idempotent("Echo")
                .instanceCircuitBreaker(new CircuitBreakerConfig(true, 0.5, 3))
                .circuitBreakerTimings(FAST)
                .circuitBreakerListener(events::add)
                .build();
        // Warm up (classes, server threads) with a plain client, so that no attempt on a times out.
        try (KitexClient plain = KitexClient.builder().service("echo").addresses(addrA, addrB).build()) {
            for (int i = 0; i < 10; i++) {
                plain.stub(EchoServer.Iface.class).Echo(new Request("whoami", ""));
            }
        }
        a.calls.set(0);
        b.calls.set(0);
        a.retryReqs.clear();
        b.slow = true;
        final EchoServer.Iface stub = client(g, addrA, addrB).stub(EchoServer.Iface.class);
        for (int i = 0; i < 20; i++) {
            // Every call succeeds: a timeout on b is retried on a.
            assertThat(stub.Echo(new Request("whoami", "")).getMsg()).isEqualTo("a");
        }
        // b's third timeout opened its breaker; after it, b gets nothing.
        assertThat(b.calls).hasValue(3);
        assertThat(g.instanceCircuitBreakers().state(addrB)).isEqualTo(CircuitBreakerState.OPEN);
        assertThat(events).extracting(CircuitBreakerEvent::key).containsExactly(addrB);
        // Retried attempts (on a) carried RetryReq=1, first attempts nothing.
        assertThat(a.retryReqs).filteredOn("1"::equals).hasSize(3);
        assertThat(a.retryReqs).filteredOn(""::equals).hasSize(17);
        // The service breaker of caller/echo/Echo saw 3 timeouts of 23 attempts: still closed.
        assertThat(g.serviceCircuitBreakers().state(ServiceCircuitBreakers.key("caller", "echo", "Echo")))
                .isEqualTo(CircuitBreakerState.CLOSED);
    }

    @Test
    void theServiceBreakerJudgesEachAttemptInsideTheRetryAndOpensAtItsMinimumSample() throws Exception {
        final InstanceCircuitBreakersClientTest.Handler a = new InstanceCircuitBreakersClientTest.Handler("a");
        a.slow = true;
        final String addrA = start(a);
        final ClientGovernance g = ClientGovernance.builder()
                .policies(ClientPolicies.builder()
                        .retry("*", RetryPolicy.failure().maxRetryTimes(1).retryBreakerErrorRate(0.3).build())
                        .circuitBreaker("Echo", new CircuitBreakerConfig(true, 0.5, 4))
                        .build())
                .idempotent("*")
                .instanceCircuitBreaker(CircuitBreakerConfig.DISABLED)
                .circuitBreakerTimings(FAST)
                .build();
        assertThat(g.instanceGate()).isNull();
        final EchoServer.Iface stub = client(g, addrA).stub(EchoServer.Iface.class);
        // Call 1: two attempts, both time out. Call 2: its first attempt is the 3rd sample, its retry the 4th,
        // which opens the breaker.
        assertThatThrownBy(() -> stub.Echo(new Request("echo", ""))).isInstanceOf(RpcTimeoutException.class);
        assertThatThrownBy(() -> stub.Echo(new Request("echo", ""))).isInstanceOf(RpcTimeoutException.class);
        assertThat(a.calls).hasValue(4);
        assertThat(g.serviceCircuitBreakers().states()).containsEntry("caller/echo/Echo", CircuitBreakerState.OPEN);
        // Open: rejected before any request, and the rejection is not retried.
        assertThatThrownBy(() -> stub.Echo(new Request("echo", "")))
                .isInstanceOf(CircuitBreakerOpenException.class)
                .hasMessageStartingWith("forbidden by circuitbreaker");
        assertThat(a.calls).hasValue(4);
    }

    @Test
    void perMethodTimeoutsComeFromThePolicies() throws Exception {
        final InstanceCircuitBreakersClientTest.Handler a = new InstanceCircuitBreakersClientTest.Handler("a");
        a.slow = true;
        final String addrA = start(a);
        final ClientGovernance g = ClientGovernance.builder()
                .policies(ClientPolicies.builder().timeout("Echo", new TimeoutPolicy(Duration.ofSeconds(2), null))
                        .build())
                .build();
        // The client's 100 ms is overridden for Echo: the 300 ms stall is answered.
        assertThat(client(g, addrA).stub(EchoServer.Iface.class).Echo(new Request("echo", "")).getMsg())
                .isEqualTo("a");
    }

    @Test
    void builderNamesTheBadArgument() {
        assertThatThrownBy(() -> ClientGovernance.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("policies");
        assertThatThrownBy(() -> ClientGovernance.builder().policies(ClientPolicies.empty()).idempotent(" ").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idempotent");
        assertThatThrownBy(() -> ClientGovernance.builder().instanceCircuitBreaker(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("config");
        assertThatThrownBy(() -> new CircuitBreakerConfig(true, 1.5, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("errorRate");
    }
}
