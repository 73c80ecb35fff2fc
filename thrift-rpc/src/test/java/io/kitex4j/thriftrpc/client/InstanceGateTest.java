package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.NoInstanceException;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.loadbalance.LoadBalancers;
import io.kitex4j.core.loadbalance.Picker;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A client's {@link InstanceGate}: disallowed instances are skipped, and none allowed fails fast. */
@ExtendWith(NettyLeakDetection.class)
class InstanceGateTest {

    private static final String A = "10.0.0.1:1";
    private static final String B = "10.0.0.2:1";
    private static final String C = "10.0.0.3:1";

    private final Set<String> closed = ConcurrentHashMap.newKeySet();
    private final AtomicInteger asked = new AtomicInteger();
    private final InstanceGate gate = new InstanceGate() {
        @Override
        public boolean allows(Instance instance) {
            asked.incrementAndGet();
            return !closed.contains(instance.address());
        }

        @Override
        public RuntimeException rejection(String service) {
            return new IllegalStateException("gate closed for " + service);
        }
    };

    private ScriptedServer server1;
    private ScriptedServer server2;
    private KitexClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        for (ScriptedServer s : new ScriptedServer[] {server1, server2}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static ScriptedServer echo() throws InterruptedException {
        return new ScriptedServer((ctx, req) -> ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue())));
    }

    @Test
    void pickerSkipsDisallowedInstancesAndRoundRobinGoesOn() {
        final Picker picker = new AvoidingPicker(List.of(Instance.of(A, 10), Instance.of(B, 10), Instance.of(C, 10)),
                LoadBalancers.weightedRoundRobin(), null, gate);
        closed.add(B);
        final Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            counts.merge(Endpoints.pick(picker, null, List.of()).address(), 1, Integer::sum);
        }
        assertThat(counts).containsOnlyKeys(A, C);
        assertThat(counts.get(A) + counts.get(C)).isEqualTo(3000);
        closed.clear();
        counts.clear();
        for (int i = 0; i < 300; i++) {
            counts.merge(Endpoints.pick(picker, null, List.of()).address(), 1, Integer::sum);
        }
        assertThat(counts).containsEntry(A, 100).containsEntry(B, 100).containsEntry(C, 100);
    }

    @Test
    void theGateIsAskedOnlyAboutTheInstanceReturned() {
        final Picker picker = new AvoidingPicker(List.of(Instance.of(A, 10), Instance.of(B, 10)),
                LoadBalancers.weightedRoundRobin(), null, gate);
        // A was tried: it is not offered to the gate while B is allowed.
        for (int i = 0; i < 10; i++) {
            asked.set(0);
            assertThat(Endpoints.pick(picker, null, List.of(A)).address()).isEqualTo(B);
            assertThat(asked).hasValue(1);
        }
        // Only A allowed, but tried: it is taken anyway, as without a gate.
        closed.add(B);
        assertThat(Endpoints.pick(picker, null, List.of(A)).address()).isEqualTo(A);
    }

    @Test
    void consistentHashingFindsAnotherAllowedInstance() {
        final Picker picker = new AvoidingPicker(List.of(Instance.of(A, 10), Instance.of(B, 10), Instance.of(C, 10)),
                LoadBalancers.consistentHash(), null, gate);
        final String home = picker.pick("key").address();
        closed.add(home);
        for (int i = 0; i < 50; i++) {
            assertThat(Endpoints.pick(picker, "key", List.of()).address()).isNotEqualTo(home);
        }
        // No key: no pick at all, as without a gate.
        assertThat(Endpoints.pick(picker, null, List.of())).isNull();
    }

    @Test
    void noInstanceAllowedThrowsTheRejectionSignal() {
        final Picker picker = new AvoidingPicker(List.of(Instance.of(A, 10), Instance.of(B, 10)),
                LoadBalancers.weightedRandom(), null, gate);
        closed.add(A);
        closed.add(B);
        assertThatThrownBy(() -> Endpoints.pick(picker, null, List.of()))
                .isInstanceOf(AvoidingPicker.GateRejection.class);
        assertThat(picker.pick()).isNull();
    }

    @Test
    void aClientCallsOnlyAllowedInstancesAndFailsFastWhenNoneIs() throws Exception {
        server1 = echo();
        server2 = echo();
        client = KitexClient.builder().service("interop").addresses(server1.address(), server2.address())
                .instanceGate(gate).build();
        final InteropService.Iface stub = client.stub(InteropService.Iface.class);
        closed.add(server1.address());
        for (int i = 0; i < 20; i++) {
            assertThat(stub.echoString("v" + i)).isEqualTo("v" + i);
        }
        assertThat(server1.requests).isEmpty();
        assertThat(server2.requests).hasSize(20);

        closed.add(server2.address());
        assertThatThrownBy(() -> stub.echoString("x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("gate closed for interop");
        assertThat(server1.requests).isEmpty();
        assertThat(server2.requests).hasSize(20);
    }

    @Test
    void theDefaultRejectionIsNoInstance() throws Exception {
        server1 = echo();
        final InstanceGate none = instance -> false;
        client = KitexClient.builder().service("interop").addresses(server1.address()).avoidRefusedInstances(false)
                .instanceGate(none).build();
        assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("x"))
                .isInstanceOf(NoInstanceException.class)
                .hasMessageContaining("no instance for service 'interop'");
        assertThat(server1.requests).isEmpty();
    }

    @Test
    void aVariantKeepsItsParentsGate() throws Exception {
        server1 = echo();
        client = KitexClient.builder().service("interop").addresses(server1.address()).instanceGate(gate).build();
        closed.add(server1.address());
        try (KitexClient variant = client.newBuilder().build()) {
            assertThatThrownBy(() -> variant.stub(InteropService.Iface.class).echoString("x"))
                    .hasMessage("gate closed for interop");
        }
    }
}
