package io.kitex4j.testing;

import static io.kitex4j.testing.EtcdTestSupport.get;
import static io.kitex4j.testing.EtcdTestSupport.put;
import static io.kitex4j.testing.EtcdTestSupport.serializableGet;
import static io.kitex4j.testing.EtcdTestSupport.uniqueKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.cluster.Member;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.etcdlauncher.EtcdMember;

class ClusterFailoverTest {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.threeMemberCluster();

    @Test
    void startsThreeDistinctMembersWithOneLeader() {
        final EtcdCluster cluster = etcd.cluster();
        assertThat(cluster.members()).hasSize(3);
        assertThat(cluster.endpoints()).hasSize(3).doesNotHaveDuplicates()
                                       .allMatch(endpoint -> endpoint.matches("http://127\\.0\\.0\\.1:\\d+"));
        assertThat(cluster.members()).extracting(EtcdMember::name)
                                     .containsExactly("etcd-0", "etcd-1", "etcd-2");
        assertThat(cluster.members()).allMatch(EtcdMember::isRunning);
        assertThat(cluster.members()).contains(cluster.leader());
    }

    @Test
    void putSucceedsAfterTheLeaderIsKilledAndTheLeaderRejoins() throws Exception {
        final EtcdCluster cluster = etcd.cluster();
        final String before = uniqueKey("before-failover");
        final String after = uniqueKey("after-failover");
        try (Client client = etcd.newClient()) {
            put(client, before, "1");

            final EtcdMember oldLeader = cluster.leader();
            oldLeader.kill();
            assertThat(oldLeader.isRunning()).isFalse();

            final EtcdMember newLeader = cluster.leader();
            assertThat(newLeader).isNotSameAs(oldLeader);
            put(client, after, "2");
            assertThat(get(client, before)).isEqualTo("1");
            assertThat(get(client, after)).isEqualTo("2");

            oldLeader.start();
            assertThat(oldLeader.isRunning()).isTrue();
            try (Client oldLeaderOnly = oldLeader.newClient()) {
                assertThat(eventuallySerializableGet(oldLeaderOnly, after)).isEqualTo("2");
            }
        }
    }

    @Test
    void wipedMemberRejoinsWithANewIdAndReceivesTheData() throws Exception {
        final EtcdCluster cluster = etcd.cluster();
        final EtcdMember wiped = cluster.member(1);
        final String key = uniqueKey("before-wipe");
        final long idBefore;
        try (Client client = etcd.newClient()) {
            put(client, key, "replicated to the wiped member");
            idBefore = memberWithPeer(client, wiped).getId();
        }

        wiped.wipeAndStart();

        assertThat(wiped.isRunning()).isTrue();
        try (Client client = etcd.newClient()) {
            final List<Member> members = client.getClusterClient().listMember()
                                               .get(10, TimeUnit.SECONDS).getMembers();
            assertThat(members).hasSize(3);
            final Member rejoined = memberWithPeer(client, wiped);
            assertThat(rejoined.getId()).isNotEqualTo(idBefore);
            assertThat(rejoined.getName()).isEqualTo(wiped.name());
        }
        try (Client wipedOnly = wiped.newClient()) {
            assertThat(eventuallySerializableGet(wipedOnly, key)).isEqualTo("replicated to the wiped member");
            final String afterRejoin = uniqueKey("after-wipe");
            put(wipedOnly, afterRejoin, "accepted by the rejoined member");
            assertThat(get(wipedOnly, afterRejoin)).isEqualTo("accepted by the rejoined member");
        }
    }

    private static Member memberWithPeer(Client client, EtcdMember member) throws Exception {
        final URI peer = URI.create(member.peerEndpoint());
        return client.getClusterClient().listMember().get(10, TimeUnit.SECONDS).getMembers().stream()
                     .filter(candidate -> candidate.getPeerURIs().contains(peer))
                     .findFirst()
                     .orElseThrow(() -> new AssertionError("No member with peer URL " + peer));
    }

    /**
     * A member that just (re)joined catches up from the leader asynchronously, so its local store may lag a
     * little behind the moment it starts serving.
     */
    private static String eventuallySerializableGet(Client client, String key) throws Exception {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                      .until(() -> serializableGet(client, key), java.util.Objects::nonNull);
    }
}
