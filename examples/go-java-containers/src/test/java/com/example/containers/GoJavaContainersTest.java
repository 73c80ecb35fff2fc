package com.example.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.testing.containers.ContainerEngine;
import io.kitex4j.testing.containers.EtcdContainer;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.testing.containers.GoKitexPeerContainer;
import io.kitex4j.testing.containers.Kitex4jPeerContainer;
import io.kitex4j.testing.containers.KitexImages;
import io.kitex4j.thriftrpc.client.KitexClient;

/** etcd, a Go Kitex service and a kitex4j service in containers, and this JVM's own KitexClient, all through etcd. */
class GoJavaContainersTest {

    @BeforeAll
    static void engine() {
        ContainerEngine.requireOrAbort();   // fails or skips, with the remedy, when no engine answers
    }

    @Test
    void goAndJavaFindEachOtherThroughEtcd() throws Exception {
        try (Network network = Network.newNetwork();
             EtcdContainer etcd = new EtcdContainer().withNetwork(network);
             GoKitexPeerContainer go = new GoKitexPeerContainer(
                     KitexImages.goPeer(Path.of(System.getProperty("goPeerBinaries"))))
                     .withEtcd(etcd).withService("go-echo");
             Kitex4jPeerContainer java = new Kitex4jPeerContainer(
                     KitexImages.javaPeer(Path.of(System.getProperty("cliJar"))))
                     .withEtcd(etcd).withService("java-echo")) {
            Startables.deepStart(go, java).join();

            // The Go Kitex client calls the kitex4j service; metainfo crosses over TTHeader.
            final GoClientRun run = go.runClient("-service", "java-echo", "-transport", "ttheader",
                    "-action", "metainfo", "-transient", "team=payments", "-count", "3");
            assertThat(run.calls()).hasSize(3).allSatisfy(call ->
                    assertThat(call.path("result").path("msg").asText()).isEqualTo("team=payments"));

            // Your own Java code, in this JVM, calls the Go service at the address it registered in etcd.
            try (EtcdResolver resolver = EtcdResolver.builder().etcd(EtcdClientConfig.of(etcd.endpoint())).build();
                 KitexClient client = KitexClient.builder().service("go-echo").resolver(resolver)
                         .transport(Transport.TTHEADER).rpcTimeout(Duration.ofSeconds(3)).build();
                 Metainfo.Scope scope = Metainfo.empty().withTransient("team", "payments").attach()) {
                final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
                assertThat(echo.Echo(new Request("metainfo", "")).getMsg()).isEqualTo("team=payments");
            }
        }
    }
}
