package io.kitex4j.testing.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Network;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;

@Tag("docker")
class EtcdContainerTest {

    @BeforeAll
    static void engine() {
        ContainerEngine.requireOrAbort();
    }

    /** The test JVM reaches etcd at endpoint(), a mapped port; a container on the network at networkEndpoint(). */
    @Test
    void answersOnTheMappedPortAndOnTheNetwork() throws Exception {
        try (Network network = Network.newNetwork();
             EtcdContainer etcd = new EtcdContainer().withNetwork(network).withAlias("registry")) {
            etcd.start();
            assertThat(etcd.networkEndpoint()).isEqualTo("http://registry:2379");
            try (Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
                final ByteSequence key = ByteSequence.from("k", StandardCharsets.UTF_8);
                for (int i = 0; i < 3; i++) {
                    client.getKVClient().put(key, ByteSequence.from("v" + i, StandardCharsets.UTF_8))
                            .get(10, TimeUnit.SECONDS);
                    assertThat(client.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs().get(0).getValue()
                            .toString(StandardCharsets.UTF_8)).isEqualTo("v" + i);
                }
            }
        }
    }
}
