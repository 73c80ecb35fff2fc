package io.kitex4j.testing;

import static io.kitex4j.testing.EtcdTestSupport.bytes;
import static io.kitex4j.testing.EtcdTestSupport.get;
import static io.kitex4j.testing.EtcdTestSupport.put;
import static io.kitex4j.testing.EtcdTestSupport.uniqueKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdMode;

class AuthModeTest {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().mode(EtcdMode.AUTH).build();

    @Test
    void exposesRootCredentials() {
        assertThat(etcd.mode()).isEqualTo(EtcdMode.AUTH);
        assertThat(etcd.username()).isEqualTo("root");
        assertThat(etcd.password()).isNotBlank().hasSizeGreaterThanOrEqualTo(16);
        assertThat(etcd.tls()).isNull();
        assertThat(etcd.endpoints()).allMatch(endpoint -> endpoint.startsWith("http://"));
    }

    @Test
    void clientWithoutCredentialsIsRefused() {
        try (Client anonymous = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            assertThatThrownBy(() -> put(anonymous, uniqueKey("anonymous"), "x"))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("user name is empty");
        }
    }

    @Test
    void clientWithAWrongPasswordIsRefused() {
        try (Client impostor = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new))
                                     .user(bytes("root")).password(bytes("not-the-password")).build()) {
            assertThatThrownBy(() -> put(impostor, uniqueKey("impostor"), "x"))
                    .isInstanceOf(ExecutionException.class)
                    .hasStackTraceContaining("authentication failed, invalid user ID or password");
        }
    }

    @Test
    void clientWithCredentialsWorks() throws Exception {
        final String key = uniqueKey("authenticated");
        try (Client client = etcd.newClient()) {
            put(client, key, "allowed");
            assertThat(get(client, key)).isEqualTo("allowed");
            // Only a root user may list users, which shows the client is authenticated as root.
            assertThat(client.getAuthClient().userList().get(10, TimeUnit.SECONDS).getUsers()).contains("root");
        }
    }

    @Test
    void wipeAndStartRestoresAuthWithTheSamePassword() throws Exception {
        final String passwordBefore = etcd.password();

        etcd.cluster().member(0).wipeAndStart();

        assertThat(etcd.password()).isEqualTo(passwordBefore);
        try (Client anonymous = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            assertThatThrownBy(() -> anonymous.getKVClient().put(bytes(uniqueKey("anonymous")), bytes("x"))
                                              .get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("user name is empty");
        }
        final String key = uniqueKey("after-wipe");
        try (Client client = etcd.newClient()) {
            put(client, key, "allowed");
            assertThat(get(client, key)).isEqualTo("allowed");
        }
    }
}
