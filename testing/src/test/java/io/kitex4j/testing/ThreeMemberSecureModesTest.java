package io.kitex4j.testing;

import static io.kitex4j.testing.EtcdTestSupport.get;
import static io.kitex4j.testing.EtcdTestSupport.put;
import static io.kitex4j.testing.EtcdTestSupport.serializableGet;
import static io.kitex4j.testing.EtcdTestSupport.uniqueKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.etcdlauncher.EtcdMode;

/**
 * The secured modes with three members, as the registry and resolver tests use them.
 */
class ThreeMemberSecureModesTest {

    @ParameterizedTest
    @EnumSource(value = EtcdMode.class, names = { "AUTH", "TLS" })
    void clusterServesSurvivesLeaderLossAndRejoinsAWipedMember(EtcdMode mode) throws Exception {
        try (EtcdCluster cluster = EtcdCluster.builder().members(3).mode(mode).start();
             Client client = cluster.newClient()) {
            final String scheme = mode == EtcdMode.TLS ? "https://" : "http://";
            assertThat(cluster.endpoints()).hasSize(3).allMatch(endpoint -> endpoint.startsWith(scheme));

            final String key = uniqueKey("secure-" + mode);
            put(client, key, "before");

            final EtcdMember oldLeader = cluster.leader();
            oldLeader.kill();
            assertThat(cluster.leader()).isNotSameAs(oldLeader);
            put(client, key, "after failover");

            oldLeader.wipeAndStart();
            try (Client rejoinedOnly = oldLeader.newClient()) {
                // The rejoined member catches up from the leader asynchronously.
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                       .untilAsserted(() -> assertThat(serializableGet(rejoinedOnly, key)).isEqualTo("after failover"));
            }
            assertThat(get(client, key)).isEqualTo("after failover");
        }
    }
}
