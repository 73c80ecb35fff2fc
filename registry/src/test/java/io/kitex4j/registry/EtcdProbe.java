package io.kitex4j.registry;

import io.kitex4j.core.discovery.Registration;
import io.kitex4j.core.discovery.RegistrationListener;
import io.kitex4j.core.discovery.RegistrationState;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.LeaseOption;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Reads etcd directly, with a client of its own, to check what the registry wrote. */
final class EtcdProbe {

    private final Client client;

    EtcdProbe(Client client) {
        this.client = client;
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** The key's entry, or null. */
    KeyValue get(String key) {
        try {
            final List<KeyValue> kvs = client.getKVClient().get(bytes(key)).get(5, TimeUnit.SECONDS).getKvs();
            return kvs.isEmpty() ? null : kvs.get(0);
        } catch (Exception e) {
            throw new IllegalStateException("get " + key + ": " + e, e);
        }
    }

    String value(String key) {
        final KeyValue kv = get(key);
        return kv == null ? null : kv.getValue().toString(StandardCharsets.UTF_8);
    }

    /** The lease's remaining TTL in seconds, -1 if it does not exist. */
    long ttl(long lease) {
        try {
            return client.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT).get(5, TimeUnit.SECONDS).getTTL();
        } catch (Exception e) {
            throw new IllegalStateException("timeToLive " + lease + ": " + e, e);
        }
    }

    void put(String key, String value) throws Exception {
        client.getKVClient().put(bytes(key), bytes(value)).get(5, TimeUnit.SECONDS);
    }

    void delete(String key) throws Exception {
        client.getKVClient().delete(bytes(key)).get(5, TimeUnit.SECONDS);
    }

    /**
     * Asserts the registration is fully in place: key present with its value, under the
     * registration's current lease, which is alive.
     */
    void assertInPlace(Registration r) {
        final KeyValue kv = get(r.key());
        assertThat(kv).as("key %s", r.key()).isNotNull();
        assertThat(kv.getValue().toString(StandardCharsets.UTF_8)).isEqualTo(InstanceCodec.encode(r.instance()));
        assertThat(kv.getLease()).as("lease of %s", r.key()).isEqualTo(((EtcdRegistration) r).leaseId()).isNotZero();
        assertThat(ttl(kv.getLease())).as("TTL of lease %x", kv.getLease()).isPositive();
        assertThat(r.state()).isEqualTo(RegistrationState.REGISTERED);
    }

    /** Records every state change. */
    static final class Transitions implements RegistrationListener {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void onStateChanged(Registration r, RegistrationState from, RegistrationState to, Throwable cause) {
            seen.add(r.key() + ":" + from + "->" + to);
        }

        List<String> of(Registration r) {
            final String prefix = r.key() + ":";
            return seen.stream().filter(s -> s.startsWith(prefix)).map(s -> s.substring(prefix.length())).toList();
        }
    }
}
