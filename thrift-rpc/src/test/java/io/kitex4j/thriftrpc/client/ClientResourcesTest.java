package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.ClientClosedException;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.KitexResources;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Who owns what a client runs on: variants, the first client and {@link KitexResources}. */
@ExtendWith(NettyLeakDetection.class)
class ClientResourcesTest {

    private ScriptedServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = new ScriptedServer((ctx, req) -> ScriptedServer.reply(ctx, req, new InteropService.echoString_result()
                .setSuccess(ScriptedServer.args(req, new InteropService.echoString_args()).getValue())));
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void closingTheFirstClientLeavesAVariantWorking() throws Exception {
        final KitexClient first = KitexClient.builder().service("interop").addresses(server.address()).build();
        final KitexClient variant = first.newBuilder().build();
        try {
            assertThat(variant.stub(InteropService.Iface.class).echoString("before")).isEqualTo("before");
            first.close();
            assertThat(variant.stub(InteropService.Iface.class).echoString("after")).isEqualTo("after");
            // A variant of the variant still shares the pool and works too.
            try (KitexClient grandchild = variant.newBuilder().build()) {
                assertThat(grandchild.stub(InteropService.Iface.class).echoString("again")).isEqualTo("again");
            }
        } finally {
            variant.close();
        }
        assertThatThrownBy(() -> variant.stub(InteropService.Iface.class).echoString("closed"))
                .isInstanceOf(ClientClosedException.class);
    }

    @Test
    void closingTheResourcesFailsCallsCleanly() throws Exception {
        final KitexResources resources = KitexResources.builder().ioThreads(1).build();
        try (KitexClient client = KitexClient.builder().service("interop").addresses(server.address())
                .resources(resources).build()) {
            assertThat(client.stub(InteropService.Iface.class).echoString("up")).isEqualTo("up");
            resources.close();
            assertThatThrownBy(() -> client.stub(InteropService.Iface.class).echoString("down"))
                    .isInstanceOfSatisfying(ClientClosedException.class,
                            e -> assertThat(e.mayHaveReachedServer()).isFalse())
                    .hasMessage("client is closed");
            final CompletableFuture<String> f = client.async(InteropService.Iface.class).call(i -> i.echoString("x"));
            assertThatThrownBy(f::join).cause().isInstanceOf(ClientClosedException.class);
            assertThatThrownBy(() -> client.newBuilder().build()).isInstanceOf(ClientClosedException.class);
        } finally {
            resources.close();
        }
    }

    @Test
    void twoClientsOnOneResourcesShareItsThreads() throws Exception {
        try (KitexResources resources = KitexResources.builder().ioThreads(1).threadNamePrefix("shared-io").build();
             KitexClient a = KitexClient.builder().service("interop").addresses(server.address())
                     .resources(resources).build();
             KitexClient b = KitexClient.builder().service("interop").addresses(server.address())
                     .resources(resources).build()) {
            for (KitexClient c : new KitexClient[] {a, b}) {
                assertThat(c.stub(InteropService.Iface.class).echoString("t")).isEqualTo("t");
            }
            // Both clients connected and were answered through the resources' one I/O thread: no client made
            // threads of its own. (Which thread runs a callback is no proof: a future already complete when
            // the callback is attached runs it on the caller.)
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .filteredOn(n -> n.startsWith("shared-io")).hasSize(1);
            assertThat(resources.ioGroup()).hasSize(1);
            a.close();
            assertThat(resources.isClosed()).isFalse();
            assertThat(b.stub(InteropService.Iface.class).echoString("b")).isEqualTo("b");
        }
    }

    @Test
    void ownIoThreadsAreReleasedWithTheLastClient() throws Exception {
        final KitexClient first = KitexClient.builder().service("interop").addresses(server.address())
                .ioThreads(1).build();
        final KitexClient variant = first.newBuilder().build();
        final KitexResources own = first.resources().kitexResources();
        assertThat(own).isNotSameAs(KitexResources.shared());
        first.close();
        assertThat(own.isClosed()).isFalse();
        assertThat(variant.stub(InteropService.Iface.class).echoString("v")).isEqualTo("v");
        variant.close();
        assertThat(own.isClosed()).isTrue();
    }
}
