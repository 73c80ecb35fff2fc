package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.interop.GoPeers.GoServer;
import io.kitex4j.testing.EtcdExtension;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.JavaClientContract;

/**
 * Cells 2 and 3, one direction: a kitex4j {@link KitexClient} calling a Go Kitex server ({@code go/cmd/server},
 * with {@code transmeta.ServerTTHeaderHandler}) over each transport, by fixed address: the
 * {@link JavaClientContract} (the same as against a kitex4j server, thrift-rpc's {@code JavaToJavaInteropTest}),
 * EchoServer, and a multiplexed client against a Go mux server.
 */
class JavaClientToGoServerTest extends JavaClientContract {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static GoServer go;
    private static KitexServer javaB;
    private static InteropHandler javaBHandler;
    private static final Map<Transport, KitexClient> CLIENTS = new EnumMap<>(Transport.class);

    @BeforeAll
    static void start() {
        go = GoPeers.server("--etcd", ETCD.endpoints().get(0), "--service", "interop-go", "--name", "go-a");
        javaBHandler = new InteropHandler("java-b");
        javaB = KitexServer.builder().address("127.0.0.1", 0).service(InteropService.class, javaBHandler)
                .shutdownHook(false).exitWait(Duration.ZERO).build().startBlocking();
        for (Transport t : Transport.values()) {
            CLIENTS.put(t, KitexClient.builder().service("interop-go").fromService("java-client")
                    .addresses(go.address()).transport(t).connectTimeout(Duration.ofSeconds(1))
                    .rpcTimeout(Duration.ofSeconds(10)).build());
        }
    }

    @AfterAll
    static void stop() {
        CLIENTS.values().forEach(KitexClient::close);
        if (go != null) {
            go.close();
        }
        if (javaB != null) {
            javaB.close();
            javaBHandler.close();
        }
    }

    /** A multiplexed client needs a mux server: {@link #multiplexedClientAgainstAGoMuxServer()}. */
    @Override
    protected Stream<Mode> modes() {
        return Stream.of(Mode.values()).filter(m -> m.muxConnections == 0);
    }

    @Override
    protected KitexClient client(Mode mode) {
        return CLIENTS.get(mode.transport);
    }

    @Override
    protected String serverName() {
        return "go-a";
    }

    @Override
    protected String clientService() {
        return "java-client";
    }

    @Override
    protected String calleeService() {
        return "interop-go";
    }

    @Override
    protected String onwardTarget() {
        return "127.0.0.1:" + javaB.port();
    }

    /** The Go server names itself by its {@code -service} when it calls on, not by its {@code -name}. */
    @Override
    protected String onwardCallerService() {
        return "interop-go";
    }

    /**
     * Differs from Java-Java: Go always writes a default-requiredness field, and an unset string is "" in Go, so an
     * unset plainString comes back as "".
     */
    @Override
    protected AllTypes echoed(AllTypes sent) {
        return sent.isSetPlainString() ? sent : new AllTypes(sent).setPlainString("");
    }

    /** The Go handler reports no raw TTHeader (Kitex's rpcinfo has none). */
    @Override
    protected void assertRawHeaderAsTheServerSawIt(Mode mode, CallInfo info) {
        assertThat(info.isSetHeaderStrings()).isFalse();
        assertThat(info.isSetHeaderInts()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void echo(Transport t) throws Exception {
        final EchoServer.Iface echo = CLIENTS.get(t).stub(EchoServer.Iface.class);
        for (int i = 0; i < 5; i++) {
            assertThat(echo.Echo(new Request("echo", "hello " + i)).getMsg()).isEqualTo("hello " + i);
        }
        assertThat(echo.Echo(new Request("whoami", "")).getMsg()).isEqualTo("go-a");
        assertThat(echo.Echo(new Request("sleep", "20,x")).getMsg()).isEqualTo("20,x");
    }

    @Test
    void multiplexedClientAgainstAGoMuxServer() throws Exception {
        try (GoServer mux = GoPeers.server("--service", "interop-mux", "--name", "go-mux", "--mux");
             KitexClient client = KitexClient.builder().service("interop-mux").addresses(mux.address())
                     .transport(Transport.TTHEADER_FRAMED).multiplexed(2).rpcTimeout(Duration.ofSeconds(10))
                     .build()) {
            final InteropService.Iface s = client.stub(InteropService.Iface.class);
            final List<CompletableFuture<String>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                final String v = "mux-" + i;
                futures.add(client.async(InteropService.Iface.class).call(x -> x.echoString(v)));
            }
            for (int i = 0; i < 200; i++) {
                assertThat(futures.get(i).get(10, TimeUnit.SECONDS)).isEqualTo("mux-" + i);
            }
            assertThat(s.callInfo().getServerName()).isEqualTo("go-mux");
        }
    }
}
