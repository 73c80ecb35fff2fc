package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.testing.containers.GoClientRun;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.EchoServerHandler;
import io.kitex4j.thriftrpc.testing.InteropHandler;

/** Cell 1: discovery both ways between kitex-contrib/registry-etcd (Go) and kitex4j, through one real etcd. */
class DiscoveryInteropTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String service;
    private String endpoint;

    @BeforeEach
    void setUp(TestInfo test) {
        service = "disc-" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
        endpoint = ETCD.endpoints().get(0);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private String etcdValue(String key) throws Exception {
        try (Client c = ETCD.newClient()) {
            final List<KeyValue> kvs = c.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8))
                    .get().getKvs();
            return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void goServerIsFoundByTheKitex4jResolver() throws Exception {
        final GoServer go = closeLater(GoPeers.server("--etcd", endpoint, "--service", service, "--name", "go-1"));
        final String key = "kitex/registry-etcd/" + service + "/" + go.address();
        await().atMost(Duration.ofSeconds(10)).until(() -> etcdValue(key) != null);
        // Exactly what registry-etcd writes: encoding/json, field order of its struct, nil map as null.
        assertThat(etcdValue(key)).isEqualTo(
                "{\"network\":\"tcp\",\"address\":\"" + go.address() + "\",\"weight\":10,\"tags\":null}");

        final EtcdResolver resolver = closeLater(EtcdResolver.builder().etcd(EtcdClientConfig.of(endpoint)).build());
        final ServiceWatch watch = resolver.watch(service);
        await().atMost(Duration.ofSeconds(10)).until(() -> !watch.snapshot().instances().isEmpty());
        assertThat(watch.snapshot().instances()).containsExactly(new Instance("tcp", go.address(), 10, Map.of()));

        final KitexClient client = closeLater(KitexClient.builder().service(service).resolver(resolver)
                .transport(Transport.TTHEADER_FRAMED).rpcTimeout(Duration.ofSeconds(5)).build());
        assertThat(client.stub(InteropService.Iface.class).callInfo().getServerName()).isEqualTo("go-1");

        // Kitex's graceful stop deregisters: the resolver drops the instance.
        go.stopGracefully(Duration.ofSeconds(15));
        await().atMost(Duration.ofSeconds(10)).until(() -> watch.snapshot().instances().isEmpty());
        assertThat(etcdValue(key)).isNull();
    }

    @Test
    void goServerWithCustomPrefixWeightAndTags() throws Exception {
        final GoServer go = closeLater(GoPeers.server("--etcd", endpoint, "--prefix", "custom/v1", "--service",
                service, "--name", "go-tags", "--weight", "7", "--tag", "lang=go", "--tag", "idc=dc1"));
        final String key = "custom/v1/" + service + "/" + go.address();
        await().atMost(Duration.ofSeconds(10)).until(() -> etcdValue(key) != null);
        assertThat(etcdValue(key)).isEqualTo("{\"network\":\"tcp\",\"address\":\"" + go.address()
                + "\",\"weight\":7,\"tags\":{\"idc\":\"dc1\",\"lang\":\"go\"}}");

        final EtcdResolver resolver = closeLater(EtcdResolver.builder().etcd(EtcdClientConfig.of(endpoint))
                .prefix("custom/v1").build());
        final ServiceWatch watch = resolver.watch(service);
        await().atMost(Duration.ofSeconds(10)).until(() -> !watch.snapshot().instances().isEmpty());
        assertThat(watch.snapshot().instances()).containsExactly(
                new Instance("tcp", go.address(), 7, Map.of("lang", "go", "idc", "dc1")));
        final KitexClient client = closeLater(KitexClient.builder().service(service).resolver(resolver)
                .transport(Transport.FRAMED).rpcTimeout(Duration.ofSeconds(5)).build());
        assertThat(client.stub(EchoServer.Iface.class).Echo(new io.kitex4j.idl.echo.Request("whoami", ""))
                .getMsg()).isEqualTo("go-tags");

        // The default-prefix resolver does not see it.
        final EtcdResolver defaultPrefix = closeLater(EtcdResolver.builder().etcd(EtcdClientConfig.of(endpoint))
                .build());
        final ServiceWatch other = defaultPrefix.watch(service);
        other.firstSync().get();
        assertThat(other.snapshot().instances()).isEmpty();
    }

    @Test
    void javaServerIsFoundByTheGoResolver() throws Exception {
        final EtcdRegistry registry = closeLater(EtcdRegistry.builder().etcd(EtcdClientConfig.of(endpoint))
                .env(name -> null).build());
        final InteropHandler handler = closeLater(new InteropHandler("java-1"));
        final KitexServer server = closeLater(KitexServer.builder().address("127.0.0.1", 0)
                .service(InteropService.class, handler)
                .service(EchoServer.class, new EchoServerHandler("java-1"))
                .registry(registry, service).exitWait(Duration.ZERO).shutdownHook(false).build()
                .startBlocking());
        final String addr = "127.0.0.1:" + server.port();

        final GoClientRun resolved = GoPeers.client("--etcd", endpoint, "--service", service, "--scenario",
                "resolve");
        assertThat(resolved.exitCode()).as("%s", resolved).isZero();
        final JsonNode instances = resolved.first().get("instances");
        assertThat(instances).as("%s", resolved).hasSize(1);
        assertThat(instances.get(0).get("address").asText()).isEqualTo(addr);
        assertThat(instances.get(0).get("network").asText()).isEqualTo("tcp");
        assertThat(instances.get(0).get("weight").asInt()).isEqualTo(10);

        final GoClientRun call = GoPeers.client("--etcd", endpoint, "--service", service, "--scenario",
                "callInfo", "--transport", "ttheader");
        assertThat(call.exitCode()).as("%s", call).isZero();
        assertThat(call.first().get("ok").asBoolean()).as("%s", call).isTrue();
        assertThat(call.first().get("server").asText()).isEqualTo("java-1");
    }

    @Test
    void javaServerWithCustomPrefixWeightAndTagsIsFoundByTheGoResolver() throws Exception {
        final EtcdRegistry registry = closeLater(EtcdRegistry.builder().etcd(EtcdClientConfig.of(endpoint))
                .prefix("custom/v2").env(name -> null).build());
        final KitexServer server = closeLater(KitexServer.builder().address("127.0.0.1", 0)
                .service(EchoServer.class, new EchoServerHandler("java-tags"))
                .registry(registry, service).weight(3).tag("idc", "dc2").tag("lang", "java")
                .exitWait(Duration.ZERO).shutdownHook(false).build().startBlocking());
        final String addr = "127.0.0.1:" + server.port();
        assertThat(etcdValue("custom/v2/" + service + "/" + addr)).isEqualTo("{\"network\":\"tcp\",\"address\":\""
                + addr + "\",\"weight\":3,\"tags\":{\"idc\":\"dc2\",\"lang\":\"java\"}}");

        final GoClientRun resolved = GoPeers.client("--etcd", endpoint, "--prefix", "custom/v2", "--service",
                service, "--scenario", "resolve");
        final JsonNode instances = resolved.first().get("instances");
        assertThat(instances).as("%s", resolved).hasSize(1);
        assertThat(instances.get(0).get("address").asText()).isEqualTo(addr);
        assertThat(instances.get(0).get("weight").asInt()).isEqualTo(3);
        assertThat(instances.get(0).get("tags").get("idc").asText()).isEqualTo("dc2");
        assertThat(instances.get(0).get("tags").get("lang").asText()).isEqualTo("java");

        final GoClientRun call = GoPeers.client("--etcd", endpoint, "--prefix", "custom/v2", "--service", service,
                "--scenario", "weighted", "--count", "3");
        assertThat(call.summary().get("ok").asInt()).as("%s", call).isEqualTo(3);
        assertThat(call.summary().get("servers").get("java-tags").asInt()).isEqualTo(3);

        // Default prefix: the Go resolver finds nothing.
        final GoClientRun none = GoPeers.client("--etcd", endpoint, "--service", service, "--scenario", "resolve");
        assertThat(none.first().path("instances").isNull() || none.first().path("instances").isEmpty())
                .as("%s", none).isTrue();
    }
}
