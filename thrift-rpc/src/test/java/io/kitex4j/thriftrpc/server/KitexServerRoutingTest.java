package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.server.testgen.OtherEchoService;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/** Several services on one server: routing by isn and by method name, as Kitex's SearchService. */
@ExtendWith(NettyLeakDetection.class)
class KitexServerRoutingTest {

    private static final byte CALL = 1;

    private KitexServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private KitexServer start(KitexServerBuilder b) {
        server = b.shutdownHook(false).build();
        server.start().join();
        return server;
    }

    @Test
    void conflictingMethodsWithoutFallbackAreRefused() {
        assertThatThrownBy(() -> KitexServer.builder()
                                            .service(EchoService.class, new EchoHandler())
                                            .service(OtherEchoService.class, new EchoHandler.Other())
                                            .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("method name [echo] is conflicted between services but no fallback service is specified");
    }

    @Test
    void sameServiceTwiceIsRefused() {
        assertThatThrownBy(() -> KitexServer.builder()
                                            .service(EchoService.class, new EchoHandler())
                                            .service(new EchoService.Processor<>(new EchoHandler()))
                                            .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("service [EchoService] has already been registered");
    }

    @Test
    void noServiceIsRefused() {
        assertThatThrownBy(() -> KitexServer.builder().build()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void notAGeneratedServiceIsRefused() {
        assertThatThrownBy(() -> KitexServer.builder().service(String.class, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a service class generated");
        assertThatThrownBy(() -> KitexServer.builder().service(EchoService.class, new EchoHandler.Other()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not implement io.kitex4j.thriftrpc.server.testgen.EchoService.Iface");
    }

    @Test
    void routesByIsnThenByMethodWithFallback() throws Exception {
        start(KitexServer.builder()
                         .service(EchoService.class, new EchoHandler())
                         .service(OtherEchoService.class, new EchoHandler.Other())
                         .service(new InteropService.Processor<>(new InteropHandler("kitex4j-test")))
                         .fallbackService("OtherEchoService"));
        assertThat(server.serviceNames()).containsExactly("EchoService", "OtherEchoService", "InteropService");
        // No isn: search by method name, the fallback service first.
        assertThat(echo(null, "echo")).isEqualTo("other:x");
        assertThat(echo(null, "other")).isEqualTo("other:x");
        // isn of a registered service.
        assertThat(echo("EchoService", "echo")).isEqualTo("x");
        assertThat(echo("OtherEchoService", "echo")).isEqualTo("other:x");
        assertThat(error("EchoService", "other")).satisfies(e -> {
            assertThat(e.getType()).isEqualTo(1);
            assertThat(e.getMessage()).isEqualTo("unknown method other (service EchoService)");
        });
        // An unknown isn: only a unique match by method name.
        assertThat(echo("Renamed", "other")).isEqualTo("other:x");
        assertThat(error("Renamed", "echo")).satisfies(e -> {
            assertThat(e.getType()).isEqualTo(20);
            assertThat(e.getMessage()).isEqualTo("unknown service Renamed, method echo");
        });
        assertThat(error("Renamed", "nope").getMessage()).isEqualTo("unknown service Renamed, method nope");
        // The Processor-registered service works too.
        assertThat(echoString(null)).isEqualTo("hello");
        assertThat(echoString("InteropService")).isEqualTo("hello");
    }

    @Test
    void refuseTrafficWithoutServiceName() throws Exception {
        start(KitexServer.builder()
                         .service(EchoService.class, new EchoHandler())
                         .service(OtherEchoService.class, new EchoHandler.Other())
                         .refuseTrafficWithoutServiceName(true));
        assertThat(error(null, "echo")).satisfies(e -> {
            assertThat(e.getType()).isEqualTo(20);
            assertThat(e.getMessage()).isEqualTo("unknown service , method echo");
        });
        assertThat(echo("EchoService", "echo")).isEqualTo("x");
        assertThat(echo("OtherEchoService", "echo")).isEqualTo("other:x");
        assertThat(error("Renamed", "other").getType()).isEqualTo(20);
    }

    @Test
    void explicitServiceName() throws Exception {
        start(KitexServer.builder().service("echo.EchoService", EchoService.class, new EchoHandler()));
        assertThat(echo("echo.EchoService", "echo")).isEqualTo("x");
        assertThat(error("EchoService", "nope").getMessage()).isEqualTo("unknown service EchoService, method nope");
    }

    private String echo(String isn, String method) throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(request(isn, method));
            final Wire.Response r = c.read(Transport.TTHEADER_FRAMED);
            assertThat(r.messageBegin().name).isEqualTo(method);
            return r.result(new EchoService.echo_result()).getSuccess();
        }
    }

    private String echoString(String isn) throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.TTHEADER_FRAMED, 1, isn == null ? Map.of() : Map.of("isn", isn), Map.of(),
                          message("echoString", CALL, 1, new InteropService.echoString_args().setValue("hello"))));
            return c.read(Transport.TTHEADER_FRAMED).result(new InteropService.echoString_result()).getSuccess();
        }
    }

    private TApplicationException error(String isn, String method) throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(request(isn, method));
            final TApplicationException e = c.read(Transport.TTHEADER_FRAMED).exception();
            c.assertClosedByPeer(Duration.ofSeconds(5));
            return e;
        }
    }

    // echo and other have the same args struct shape: 1: string msg.
    private static byte[] request(String isn, String method) {
        return frame(Transport.TTHEADER_FRAMED, 1, isn == null ? Map.of() : Map.of("isn", isn), Map.of(),
                     message(method, CALL, 1, new EchoService.echo_args().setMsg("x")));
    }
}
