package io.kitex4j.thriftrpc.client;

import io.kitex4j.thriftrpc.KitexResources;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.LoadBalancers;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetection.class)
class KitexClientBuilderTest {

    private static KitexClientBuilder valid() {
        return KitexClient.builder().service("echo").addresses("127.0.0.1:8888");
    }

    private static void refused(Consumer<KitexClientBuilder> change, String message) {
        final KitexClientBuilder b = valid();
        change.accept(b);
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void defaultsAreKitexs() {
        try (KitexClient c = valid().build()) {
            assertThat(c.service()).isEqualTo("echo");
            assertThat(c.fromService()).isEmpty();
            assertThat(c.transport()).isEqualTo(Transport.FRAMED);
            assertThat(c.rpcTimeout()).isNull();
            assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(50));
            assertThat(c.maxAttempts()).isEqualTo(3);
            assertThat(c.avoidsRefusedInstances()).isTrue();
            assertThat(c.refusedInstances().initialBackoffNanos()).isEqualTo(Duration.ofMillis(100).toNanos());
            assertThat(c.refusedInstances().maxBackoffNanos()).isEqualTo(Duration.ofSeconds(10).toNanos());
            assertThat(c.refusedInstances().refused()).isSameAs(RefusedAddresses.shared());
            assertThat(c.toString()).contains("service=echo", "FRAMED", "127.0.0.1:8888");
        }
    }

    @Test
    void avoidingRefusedInstancesCanBeTurnedOffAndVariantsKeepTheSetting() {
        try (KitexClient c = valid().avoidRefusedInstances(false).build()) {
            assertThat(c.avoidsRefusedInstances()).isFalse();
            assertThat(c.refusedInstances()).isNull();
            try (KitexClient variant = c.newBuilder().build();
                 KitexClient on = c.newBuilder().avoidRefusedInstances(true)
                         .refusedInstanceBackoff(Duration.ofSeconds(1), Duration.ofSeconds(5)).build()) {
                assertThat(variant.avoidsRefusedInstances()).isFalse();
                assertThat(on.refusedInstances().maxBackoffNanos()).isEqualTo(Duration.ofSeconds(5).toNanos());
                // Pickers differ (one avoids, one does not), so the endpoints are not shared.
                assertThat(on.endpoints()).isNotSameAs(c.endpoints());
            }
        }
    }

    @Test
    void invalidSettingsFailAtBuildNamingTheSetting() {
        assertThatThrownBy(() -> KitexClient.builder().addresses("127.0.0.1:1").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("service: required");
        refused(b -> b.service(""), "service: required");
        assertThatThrownBy(() -> KitexClient.builder().service("s").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("resolver: a resolver or fixed addresses are required");
        refused(b -> b.addresses(List.of()), "addresses: empty");
        refused(b -> b.addresses("no-port"), "addresses: address: 'no-port' has no port");
        refused(b -> b.rpcTimeout(Duration.ofMillis(-1)), "rpcTimeout: PT-0.001S is negative");
        refused(b -> b.connectTimeout(Duration.ZERO), "connectTimeout: PT0S is not positive");
        refused(b -> b.maxAttempts(0), "maxAttempts: 0 is less than 1");
        refused(b -> b.maxIdlePerAddress(-1), "maxIdlePerAddress: -1 is negative");
        refused(b -> b.maxIdleGlobal(-1), "maxIdleGlobal: -1 is negative");
        refused(b -> b.maxIdleTimeout(Duration.ZERO), "maxIdleTimeout: PT0S is not positive");
        refused(b -> b.refusedInstanceBackoff(Duration.ZERO, Duration.ofSeconds(1)),
                "refusedInstanceBackoff: initial PT0S (expected: > 0)");
        refused(b -> b.refusedInstanceBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)),
                "refusedInstanceBackoff: max PT1S (expected: >= initial PT2S)");
        refused(b -> b.refusedInstanceBackoff(Duration.ofSeconds(1), Duration.ofDays(2)),
                "refusedInstanceBackoff: max PT48H (expected: <= PT24H)");
        refused(b -> b.multiplexed(-1), "multiplexed: -1 connections is negative");
        refused(b -> b.maxFrameBytes(0), "maxFrameBytes: 0 is not positive");
        refused(b -> b.ioThreads(0), "ioThreads: 0 is less than 1");
        refused(b -> b.ioThreads(1).resources(KitexResources.shared()),
                "ioThreads: not used with resources(...) (expected: one of them)");
        assertThatThrownBy(() -> valid().service(null)).isInstanceOf(NullPointerException.class).hasMessage("service");
        assertThatThrownBy(() -> valid().transport(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("transport");
    }

    @Test
    void theLastTargetSetWins() {
        final DiscoveryTest.ManualResolver resolver = new DiscoveryTest.ManualResolver();
        try (KitexClient c = valid().addresses("bad").resolver(resolver).build()) {
            assertThat(resolver.watches).hasSize(1);
            try (KitexClient fixed = c.newBuilder().addresses("127.0.0.1:2").build()) {
                assertThat(fixed.endpoints()).isInstanceOf(FixedEndpoints.class);
            }
        }
    }

    @Test
    void variantsCannotHaveTheirOwnEventLoop() {
        try (KitexClient c = valid().build()) {
            assertThatThrownBy(() -> c.newBuilder().ioThreads(2).build()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("ioThreads: a newBuilder() variant shares its parent's resources (expected: unset)");
            assertThatThrownBy(() -> c.newBuilder().resources(KitexResources.shared()).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("resources: a newBuilder() variant");
        }
    }

    @Test
    void givenResourcesAreNotClosedByTheClient() {
        try (KitexResources resources = KitexResources.builder().ioThreads(1).build()) {
            valid().resources(resources).build().close();
            assertThat(resources.isClosed()).isFalse();
            assertThat(resources.ioGroup().isShuttingDown()).isFalse();
        }
    }

    @Test
    void fixedInstancesKeepTheirWeightsAndIpv6IsBracketed() {
        try (KitexClient c = KitexClient.builder().service("s").loadBalancer(LoadBalancers.weightedRandom())
                .instances(List.of(Instance.of("127.0.0.1:1", 5))).build()) {
            assertThat(c.endpoints().picker().join().pick().weight()).isEqualTo(5);
        }
        try (KitexClient c = KitexClient.builder().service("s").addresses("::1:8888").build()) {
            assertThat(c.endpoints().picker().join().pick().address()).isEqualTo("[::1]:8888");
        }
    }

    @Test
    void callOptionsValidateAndPrint() {
        assertThatThrownBy(() -> CallOptions.builder().rpcTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("rpcTimeout: PT-1S is negative");
        assertThatThrownBy(() -> CallOptions.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("connectTimeout: PT0S is not positive");
        final CallOptions o = CallOptions.builder().rpcTimeout(Duration.ofMillis(5)).hashKey("k").build();
        assertThat(o.toString()).isEqualTo("CallOptions{rpcTimeout=PT0.005S, hashKey=k}");
        assertThat(o.toBuilder().build().hashKey()).isEqualTo("k");
        assertThat(CallOptions.DEFAULT.toString()).isEqualTo("CallOptions{}");
    }
}
