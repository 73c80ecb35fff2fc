package io.kitex4j.testing;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;

/**
 * Small helpers shared by the tests.
 */
final class EtcdTestSupport {

    static final long TIMEOUT_SECONDS = 10;

    static ByteSequence bytes(String value) {
        return ByteSequence.from(value, StandardCharsets.UTF_8);
    }

    static String uniqueKey(String prefix) {
        return "/kitex4j-test/" + prefix + '/' + UUID.randomUUID();
    }

    static void put(Client client, String key, String value) throws Exception {
        client.getKVClient().put(bytes(key), bytes(value)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Returns the value of {@code key}, or {@code null} if it does not exist.
     */
    static String get(Client client, String key) throws Exception {
        return firstValue(client.getKVClient().get(bytes(key)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    /**
     * Reads {@code key} from the local store of the member the client talks to, without going through the
     * leader, which tells whether the data reached that member.
     */
    static String serializableGet(Client client, String key) throws Exception {
        final GetOption serializable = GetOption.builder().withSerializable(true).build();
        return firstValue(client.getKVClient().get(bytes(key), serializable)
                                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    private static String firstValue(GetResponse response) {
        return response.getKvs().isEmpty() ? null
                                           : response.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    private EtcdTestSupport() {}
}
