package io.kitex4j.registry.internal;

import io.kitex4j.registry.EtcdClientConfig;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;

class EtcdChannelsTest {

    @Test
    void reachesTheChannelOfThePinnedJetcdVersion() {
        // Fails if a jetcd upgrade renames the fields: the registry would then wait out gRPC's backoff again.
        try (Client client = EtcdClientConfig.of("http://127.0.0.1:1").newClient()) {
            assertThat(EtcdChannels.resetConnectBackoff(client)).as("no channel before the first call").isFalse();
            client.getKVClient(); // creates the channel
            assertThat(EtcdChannels.resetConnectBackoff(client)).isTrue();
            assertThat(EtcdChannels.resetConnectBackoff(client)).isTrue();
        }
    }
}
