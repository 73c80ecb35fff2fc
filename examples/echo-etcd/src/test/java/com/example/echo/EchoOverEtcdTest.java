package com.example.echo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;

/** The server registers in a real etcd, the client finds it there and calls it. */
class EchoOverEtcdTest {

    // A real etcd process for this class, on a free port, removed afterwards.
    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    @Test
    void clientFindsTheServerThroughEtcdAndCallsIt() throws Exception {
        final EtcdClientConfig etcd = EtcdClientConfig.builder().endpoints(ETCD.endpoints()).build();
        try (EtcdRegistry registry = EtcdRegistry.builder().etcd(etcd).build();
             EtcdResolver resolver = EtcdResolver.builder().etcd(etcd).build();
             KitexServer server = EchoServerMain.start(registry, "127.0.0.1", 0);
             KitexClient client = EchoClientMain.newClient(resolver)) {
            final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);

            // start() returned once registered, so the client's first watch of etcd already sees the server.

            assertThat(echo.Echo(new Request("echo", "hello")).getMsg())
                    .isEqualTo("hello (seen by echo, called by example.echo-client)");
            assertThat(server.port()).isPositive();
        }
    }
}
