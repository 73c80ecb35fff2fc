package io.kitex4j.testing;

import static io.kitex4j.testing.EtcdTestSupport.get;
import static io.kitex4j.testing.EtcdTestSupport.put;
import static io.kitex4j.testing.EtcdTestSupport.uniqueKey;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMember;
import io.kitex4j.etcdlauncher.EtcdMode;

class SingleMemberTest {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.single();

    @Test
    void describesAPlainLoopbackMember() {
        assertThat(etcd.mode()).isEqualTo(EtcdMode.PLAIN);
        assertThat(etcd.endpoints()).singleElement().asString().matches("http://127\\.0\\.0\\.1:\\d+");
        assertThat(etcd.cluster().members()).hasSize(1);
        assertThat(etcd.cluster().member(0).clientEndpoint()).isEqualTo(etcd.endpoints().get(0));
        assertThat(etcd.cluster().leader()).isSameAs(etcd.cluster().member(0));
        assertThat(etcd.username()).isNull();
        assertThat(etcd.password()).isNull();
        assertThat(etcd.tls()).isNull();
    }

    @Test
    void putThenGet() throws Exception {
        final String key = uniqueKey("put-get");
        try (Client client = etcd.newClient()) {
            assertThat(get(client, key)).isNull();
            put(client, key, "hello");
            assertThat(get(client, key)).isEqualTo("hello");
        }
    }

    @Test
    void stopThenStartKeepsDataAndEndpoint() throws Exception {
        final EtcdMember member = etcd.cluster().member(0);
        final String endpointBefore = member.clientEndpoint();
        final String key = uniqueKey("stop-start");
        try (Client client = etcd.newClient()) {
            put(client, key, "survives a restart");
        }

        member.stop();
        assertThat(member.isRunning()).isFalse();
        member.start();

        assertThat(member.isRunning()).isTrue();
        assertThat(member.clientEndpoint()).isEqualTo(endpointBefore);
        try (Client client = etcd.newClient()) {
            assertThat(get(client, key)).isEqualTo("survives a restart");
        }
    }

    @Test
    void killThenStartKeepsAcknowledgedData() throws Exception {
        final EtcdMember member = etcd.cluster().member(0);
        final String key = uniqueKey("kill-start");
        try (Client client = etcd.newClient()) {
            put(client, key, "fsynced before the ack");
        }

        member.kill();
        assertThat(member.isRunning()).isFalse();
        member.start();

        try (Client client = etcd.newClient()) {
            assertThat(get(client, key)).isEqualTo("fsynced before the ack");
        }
    }

    @Test
    void wipeAndStartLosesDataButKeepsEndpoint() throws Exception {
        final EtcdMember member = etcd.cluster().member(0);
        final String endpointBefore = member.clientEndpoint();
        final String key = uniqueKey("wipe");
        try (Client client = etcd.newClient()) {
            put(client, key, "gone after the wipe");
        }

        member.wipeAndStart();

        assertThat(member.clientEndpoint()).isEqualTo(endpointBefore);
        assertThat(Files.isDirectory(member.dataDir())).isTrue();
        try (Client client = etcd.newClient()) {
            assertThat(get(client, key)).isNull();
            put(client, key, "written after the wipe");
            assertThat(get(client, key)).isEqualTo("written after the wipe");
        }
    }
}
