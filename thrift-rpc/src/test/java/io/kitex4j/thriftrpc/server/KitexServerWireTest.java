package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static io.kitex4j.thriftrpc.server.Wire.hex;
import static io.kitex4j.thriftrpc.server.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import ch.qos.logback.classic.Level;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.kitex4j.thriftrpc.testing.LogCapture;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/** Raw-socket tests of what the server sends, byte for byte where Kitex's bytes are known. */
@ExtendWith(NettyLeakDetection.class)
class KitexServerWireTest {

    private static final byte CALL = 1;
    private static final byte REPLY = 2;
    private static final byte EXCEPTION = 3;
    private static final byte ONEWAY = 4;

    /** kitex-wire.md §2.3: echo("hi"), seqId 1, TTHeaderFramed, empty header. */
    private static final String GOLDEN_REQUEST_TTHEADER_FRAMED =
            "00 00 00 2c | 10 00 00 00 | 00 00 00 01 | 00 01 | 00 00 00 00 | 00 00 00 1a"
            + "| 80 01 00 01 | 00 00 00 04 65 63 68 6f | 00 00 00 01 | 0b 00 01 00 00 00 02 68 69 | 00";
    /** What a default Kitex server replies (§2.3). */
    private static final String GOLDEN_REPLY_TTHEADER_FRAMED =
            "00 00 00 2c | 10 00 00 00 | 00 00 00 01 | 00 01 | 00 00 00 00 | 00 00 00 1a"
            + "| 80 01 00 02 | 00 00 00 04 65 63 68 6f | 00 00 00 01 | 0b 00 00 00 00 00 02 68 69 | 00";
    private static final String REQUEST_MESSAGE =
            "80 01 00 01 | 00 00 00 04 65 63 68 6f | 00 00 00 01 | 0b 00 01 00 00 00 02 68 69 | 00";
    private static final String REPLY_MESSAGE =
            "80 01 00 02 | 00 00 00 04 65 63 68 6f | 00 00 00 01 | 0b 00 00 00 00 00 02 68 69 | 00";

    private static KitexServer server;
    private static KitexServer kitexDefaultHeaderServer;
    private static final InteropHandler interop = new InteropHandler("kitex4j-test");

    @RegisterExtension
    final LogCapture logs = LogCapture.of(ServerConnectionHandler.class);

    @BeforeAll
    static void startServers() {
        server = KitexServer.builder()
                            .service(EchoService.class, new EchoHandler())
                            .service(InteropService.class, interop)
                            // Tests here look for the lines of events that many tests cause.
                            .rejectionLogLimit(Duration.ofSeconds(10), 1000)
                            .shutdownHook(false)
                            .build();
        server.start().join();
        kitexDefaultHeaderServer = KitexServer.builder()
                                              .service(EchoService.class, new EchoHandler())
                                              .ttheaderServerMeta(false)
                                              .shutdownHook(false)
                                              .build();
        kitexDefaultHeaderServer.start().join();
    }

    @AfterAll
    static void stopServers() {
        server.close();
        kitexDefaultHeaderServer.close();
    }

    // ---- golden bytes: kitex-wire.md §2.3, every transport ----

    @Test
    void goldenTTHeaderFramedLikeDefaultKitexServer() throws Exception {
        try (Wire.Client c = new Wire.Client(kitexDefaultHeaderServer.localAddress())) {
            c.write(Wire.hex(GOLDEN_REQUEST_TTHEADER_FRAMED));
            assertThat(hex(c.readExactly(48))).isEqualTo(hex(Wire.hex(GOLDEN_REPLY_TTHEADER_FRAMED)));
            c.assertNothingFor(Duration.ofMillis(100));
        }
    }

    @Test
    void goldenTTHeaderFramedWithServerMeta() throws Exception {
        // As a Kitex server with transmeta.ServerTTHeaderHandler: int key 22 = "2" (REPLY).
        final String expected = "00 00 00 34 | 10 00 00 00 | 00 00 00 01 | 00 03 "
                                + "| 00 00 | 10 00 01 00 16 00 01 32 | 00 00 | 00 00 00 1a | " + REPLY_MESSAGE;
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(Wire.hex(GOLDEN_REQUEST_TTHEADER_FRAMED));
            assertThat(hex(c.readExactly(56))).isEqualTo(hex(Wire.hex(expected)));
            c.assertNothingFor(Duration.ofMillis(100));
        }
    }

    @Test
    void goldenTTHeaderUnframed() throws Exception {
        final String request = "00 00 00 28 | 10 00 00 00 | 00 00 00 01 | 00 01 | 00 00 00 00 | " + REQUEST_MESSAGE;
        final String reply = "00 00 00 28 | 10 00 00 00 | 00 00 00 01 | 00 01 | 00 00 00 00 | " + REPLY_MESSAGE;
        try (Wire.Client c = new Wire.Client(kitexDefaultHeaderServer.localAddress())) {
            c.write(Wire.hex(request));
            assertThat(hex(c.readExactly(44))).isEqualTo(hex(Wire.hex(reply)));
            c.assertNothingFor(Duration.ofMillis(100));
        }
    }

    @Test
    void goldenFramed() throws Exception {
        for (KitexServer s : List.of(server, kitexDefaultHeaderServer)) {
            try (Wire.Client c = new Wire.Client(s.localAddress())) {
                c.write(Wire.hex("00 00 00 1a | " + REQUEST_MESSAGE));
                assertThat(hex(c.readExactly(30))).isEqualTo(hex(Wire.hex("00 00 00 1a | " + REPLY_MESSAGE)));
                c.assertNothingFor(Duration.ofMillis(100));
            }
        }
    }

    @Test
    void goldenBuffered() throws Exception {
        for (KitexServer s : List.of(server, kitexDefaultHeaderServer)) {
            try (Wire.Client c = new Wire.Client(s.localAddress())) {
                c.write(Wire.hex(REQUEST_MESSAGE));
                assertThat(hex(c.readExactly(26))).isEqualTo(hex(Wire.hex(REPLY_MESSAGE)));
                c.assertNothingFor(Duration.ofMillis(100));
            }
        }
    }

    // ---- ordering ----

    @Test
    void pipelinedRequestsAreAnsweredInOrderEachInItsTransport() throws Exception {
        final Transport[] transports = Transport.values();
        final List<byte[]> requests = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            final Transport t = transports[i % transports.length];
            final byte[] msg = i == 1
                    ? message("sleep", CALL, i, new InteropService.sleep_args().setMillis(300))
                    : message("echoString", CALL, i, new InteropService.echoString_args().setValue("v" + i));
            requests.add(frame(t, i, Map.of(), Map.of(), msg));
        }
        final byte[] all = requests.stream().reduce(new byte[0], KitexServerWireTest::concat);
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(all);   // one write: all requests pipelined on one connection
            for (int i = 1; i <= 12; i++) {
                final Transport t = transports[i % transports.length];
                final Wire.Response r = c.read(t);
                final TMessage m = r.messageBegin();
                assertThat(m.seqid).isEqualTo(i);
                assertThat(m.type).isEqualTo(REPLY);
                if (t.hasTTHeader()) {
                    assertThat(r.headerSeqId()).isEqualTo(i);
                    assertThat(r.headerFlags()).isZero();
                }
                if (i == 1) {
                    assertThat(m.name).isEqualTo("sleep");
                } else {
                    assertThat(r.result(new InteropService.echoString_result()).getSuccess()).isEqualTo("v" + i);
                }
            }
        }
    }

    @Test
    void manyPipelinedRequestsPauseReadingButAllAreAnswered() throws Exception {
        final int n = KitexServerBuilder.DEFAULT_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION * 8;
        byte[] all = new byte[0];
        for (int i = 1; i <= n; i++) {
            all = concat(all, frame(Transport.FRAMED, message("echoString", CALL, i,
                    new InteropService.echoString_args().setValue("x".repeat(i % 100)))));
        }
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(all);
            for (int i = 1; i <= n; i++) {
                final Wire.Response r = c.read(Transport.FRAMED);
                assertThat(r.messageBegin().seqid).isEqualTo(i);
                assertThat(r.result(new InteropService.echoString_result()).getSuccess()).hasSize(i % 100);
            }
            c.assertNothingFor(Duration.ofMillis(100));
        }
    }

    @Test
    void onewayMessageTypeForATwoWayMethodIsAnswered() throws Exception {
        // Kitex decides by the IDL, not by the message type.
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("echo", ONEWAY, 8, new EchoService.echo_args().setMsg("o"))));
            final Wire.Response r = c.read(Transport.FRAMED);
            assertThat(r.messageBegin().type).isEqualTo(REPLY);
            assertThat(r.result(new EchoService.echo_result()).getSuccess()).isEqualTo("o");
        }
    }

    // ---- unknown method ----

    @Test
    void unknownMethodWithoutIsnIsUnknownServiceAndCloses() throws Exception {
        for (Transport t : Transport.values()) {
            try (Wire.Client c = new Wire.Client(server.localAddress())) {
                c.write(frame(t, 7, Map.of(), Map.of(),
                              message("nope", CALL, 7, new EchoService.echo_args().setMsg("x"))));
                final Wire.Response r = c.read(t);
                final TMessage m = r.messageBegin();
                assertThat(m.name).isEqualTo("nope");
                assertThat(m.seqid).isEqualTo(7);
                final TApplicationException e = r.exception();
                assertThat(e.getType()).isEqualTo(20);
                assertThat(e.getMessage()).isEqualTo("unknown service , method nope");
                if (t.hasTTHeader()) {
                    assertThat(r.strings()).containsEntry("crrst", "1");
                    assertThat(r.ints()).containsEntry(22, "3");
                }
                c.assertClosedByPeer(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void unknownMethodExactBytesFramed() throws Exception {
        // EXCEPTION "nope" seqId 7, {1: "unknown service , method nope", 2: 20}
        final String msg = "unknown service , method nope";
        final String expectedMessage = "80 01 00 03 | 00 00 00 04 6e 6f 70 65 | 00 00 00 07 | 0b 00 01 "
                                       + String.format("%08x", msg.length()) + hex(msg.getBytes(StandardCharsets.UTF_8))
                                       + "| 08 00 02 00 00 00 14 | 00";
        final byte[] expected = Wire.hex(expectedMessage);
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("nope", CALL, 7, new EchoService.echo_args().setMsg("x"))));
            final Wire.Response r = c.read(Transport.FRAMED);
            assertThat(hex(r.message())).isEqualTo(hex(expected));
            c.assertClosedByPeer(Duration.ofSeconds(5));
        }
    }

    @Test
    void unknownMethodWithIsnOfRegisteredServiceIsUnknownMethod() throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.TTHEADER_FRAMED, 9, Map.of("isn", "EchoService"), Map.of(),
                          message("nope", CALL, 9, new EchoService.echo_args().setMsg("x"))));
            final Wire.Response r = c.read(Transport.TTHEADER_FRAMED);
            final TApplicationException e = r.exception();
            assertThat(e.getType()).isEqualTo(1);
            assertThat(e.getMessage()).isEqualTo("unknown method nope (service EchoService)");
            assertThat(r.messageBegin().seqid).isEqualTo(9);
            assertThat(r.headerSeqId()).isEqualTo(9);
            assertThat(r.strings()).containsEntry("crrst", "1");
            c.assertClosedByPeer(Duration.ofSeconds(5));
        }
        assertThat(logs.events()).anySatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).contains("unknown method nope (service EchoService)");
        });
    }

    @Test
    void requestsBeforeAnUnknownMethodAreAnsweredFirst() throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(concat(frame(Transport.FRAMED, message("sleep", CALL, 1, new InteropService.sleep_args().setMillis(200))),
                           frame(Transport.FRAMED, message("nope", CALL, 2, new EchoService.echo_args().setMsg("x")))));
            assertThat(c.read(Transport.FRAMED).messageBegin().type).isEqualTo(REPLY);
            assertThat(c.read(Transport.FRAMED).exception().getType()).isEqualTo(20);
            c.assertClosedByPeer(Duration.ofSeconds(5));
        }
    }

    // ---- handler errors ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    void undeclaredExceptionIsBizErrorAndTheConnectionStaysOpen(Transport t) throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(t, 3, Map.of(), Map.of(), message("fail", CALL, 3, new InteropService.fail_args().setMessage("boom"))));
            final Wire.Response r = c.read(t);
            final TMessage m = r.messageBegin();
            assertThat(m.name).isEqualTo("fail");
            assertThat(m.seqid).isEqualTo(3);
            final TApplicationException e = r.exception();
            assertThat(e.getType()).isEqualTo(6);
            assertThat(e.getMessage()).isEqualTo("biz error: boom");
            if (t.hasTTHeader()) {
                assertThat(r.ints()).containsEntry(22, "3");
                assertThat(r.strings()).doesNotContainKey("crrst");
            }
            // The same connection serves the next request.
            c.write(frame(t, 4, Map.of(), Map.of(), message("echoString", CALL, 4, new InteropService.echoString_args().setValue("after"))));
            assertThat(c.read(t).result(new InteropService.echoString_result()).getSuccess()).isEqualTo("after");
        }
    }

    @Test
    void declaredExceptionIsAResultField() throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("throwDeclared", CALL, 5,
                    new InteropService.throwDeclared_args().setKind(1).setCode(42).setMessage("bad"))));
            final InteropService.throwDeclared_result r =
                    c.read(Transport.FRAMED).result(new InteropService.throwDeclared_result());
            assertThat(r.isSetSuccess()).isFalse();
            assertThat((Object) r.getInvalidArgument()).isEqualTo(new InvalidArgument(42, "bad"));
        }
    }

    @Test
    void bizErrorOverTTHeaderIsEmptyReplyWithHeaderKeys() throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.TTHEADER_FRAMED, 11, Map.of(), Map.of(), message("bizError", CALL, 11,
                    new InteropService.bizError_args().setCode(1001).setMessage("no luck").setExtra(Map.of("k", "v")))));
            final Wire.Response r = c.read(Transport.TTHEADER_FRAMED);
            // REPLY "bizError" seqId 11 with an empty result struct: just STOP.
            assertThat(hex(r.message())).isEqualTo(hex(Wire.hex(
                    "80 01 00 02 | 00 00 00 08" + hex("bizError".getBytes(StandardCharsets.UTF_8)) + "| 00 00 00 0b | 00")));
            assertThat(r.strings()).containsEntry("biz-status", "1001")
                                   .containsEntry("biz-message", "no luck")
                                   .containsEntry("biz-extra", "{\"k\":\"v\"}");
            assertThat(r.ints()).containsEntry(22, "2");
        }
    }

    @Test
    void bizErrorOverFramedIsLostAsWithKitex() throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("bizError", CALL, 12,
                    new InteropService.bizError_args().setCode(1001).setMessage("no luck"))));
            final Wire.Response r = c.read(Transport.FRAMED);
            assertThat(hex(r.raw())).isEqualTo(hex(Wire.hex(
                    "00 00 00 15 | 80 01 00 02 | 00 00 00 08" + hex("bizError".getBytes(StandardCharsets.UTF_8))
                    + "| 00 00 00 0c | 00")));
        }
    }

    // ---- oneway ----

    @Test
    void onewayNeverReplies() throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            // Sent as CALL (type 1) on purpose: the server decides by the IDL.
            c.write(frame(Transport.FRAMED, message("onewayPut", CALL, 21,
                    new InteropService.onewayPut_args().setKey("k1").setValue("v1"))));
            c.write(frame(Transport.TTHEADER, 22, Map.of(), Map.of(), message("onewayPut", ONEWAY, 22,
                    new InteropService.onewayPut_args().setKey("k2").setValue("v2"))));
            c.assertNothingFor(Duration.ofMillis(300));
            c.write(frame(Transport.FRAMED, message("onewayGet", CALL, 23, new InteropService.onewayGet_args().setKey("k2"))));
            final Wire.Response r = c.read(Transport.FRAMED);
            assertThat(r.messageBegin().seqid).isEqualTo(23);
            assertThat(r.result(new InteropService.onewayGet_result()).getSuccess()).isEqualTo("v2");
            assertThat(interop.store).containsEntry("k1", "v1");
        }
    }

    @Test
    void failingOnewayNeverReplies() throws Exception {
        interop.failOnewayWith = "oneway boom";
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("onewayPut", ONEWAY, 31,
                    new InteropService.onewayPut_args().setKey("k3").setValue("v3"))));
            c.assertNothingFor(Duration.ofMillis(300));
            c.write(frame(Transport.FRAMED, message("onewayGet", CALL, 32, new InteropService.onewayGet_args().setKey("k3"))));
            assertThat(c.read(Transport.FRAMED).result(new InteropService.onewayGet_result()).getSuccess()).isEmpty();
        } finally {
            interop.failOnewayWith = null;
        }
    }

    // ---- malformed input ----

    @Test
    void malformedInputClosesOnlyThatConnection() throws Exception {
        try (Wire.Client good = new Wire.Client(server.localAddress());
             Wire.Client bad = new Wire.Client(server.localAddress())) {
            assertEcho(good, 1);
            bad.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            bad.assertClosedByPeer(Duration.ofSeconds(5));
            assertEcho(good, 2);
            // A new connection works too.
            try (Wire.Client another = new Wire.Client(server.localAddress())) {
                assertEcho(another, 3);
            }
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(logs.events()).anySatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.WARN);
            assertThat(e.getFormattedMessage()).startsWith("Closing connection from /127.0.0.1:");
        }));
    }

    @Test
    void http2PrefaceAndApacheTHeaderAreRefused() throws Exception {
        for (String input : List.of("505249202a20485454502f322e300d0a0d0a534d0d0a0d0a",   // PRI * HTTP/2.0
                                    "0000001a0fff0000000000010001000000000000")) {        // Apache THeader
            try (Wire.Client bad = new Wire.Client(server.localAddress())) {
                bad.write(Wire.hex(input));
                bad.assertClosedByPeer(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void invalidMessageTypeClosesWithoutReply() throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("echo", REPLY, 1, new EchoService.echo_args().setMsg("x"))));
            c.assertClosedByPeer(Duration.ofSeconds(5));
        }
    }

    @Test
    void oversizedFrameClosesTheConnection() throws Exception {
        final KitexServer small = KitexServer.builder()
                                             .service(EchoService.class, new EchoHandler())
                                             .maxFrameBytes(1024)
                                             .shutdownHook(false)
                                             .build();
        small.start().join();
        try (Wire.Client c = new Wire.Client(small.localAddress());
             Wire.Client other = new Wire.Client(small.localAddress())) {
            c.write(frame(Transport.FRAMED, message("echo", CALL, 1, new EchoService.echo_args().setMsg("x".repeat(2000)))));
            c.assertClosedByPeer(Duration.ofSeconds(5));
            other.write(frame(Transport.FRAMED, message("echo", CALL, 2, new EchoService.echo_args().setMsg("x".repeat(900)))));
            assertThat(other.read(Transport.FRAMED).result(new EchoService.echo_result()).getSuccess()).hasSize(900);
        } finally {
            small.close();
        }
    }

    @Test
    void undecodableArgumentsAreProtocolErrorThenClose() throws Exception {
        // echo's field 1 declared as a string but sent as an i32 is skipped by the generated code; a
        // truncated string is not: string length 100, 2 bytes present, then the frame ends.
        final byte[] msg = Wire.hex("80 01 00 01 | 00 00 00 04 65 63 68 6f | 00 00 00 05 | 0b 00 01 00 00 00 64 68 69");
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, msg));
            final Wire.Response r = c.read(Transport.FRAMED);
            final TApplicationException e = r.exception();
            assertThat(e.getType()).isEqualTo(7);
            assertThat(r.messageBegin().seqid).isEqualTo(5);
            c.assertClosedByPeer(Duration.ofSeconds(5));
        }
    }

    @Test
    void handlersNeverRunOnIoThreads() throws Exception {
        interop.threads.clear();
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.FRAMED, message("ping", CALL, 1, new InteropService.ping_args())));
            c.read(Transport.FRAMED);
        }
        assertThat(interop.threads).singleElement().asString().startsWith("kitex4j-handler-");
    }

    private static void assertEcho(Wire.Client c, int seqId) throws Exception {
        c.write(frame(Transport.FRAMED, message("echo", CALL, seqId, new EchoService.echo_args().setMsg("m" + seqId))));
        final Wire.Response r = c.read(Transport.FRAMED);
        assertThat(r.messageBegin().seqid).isEqualTo(seqId);
        assertThat(r.result(new EchoService.echo_result()).getSuccess()).isEqualTo("m" + seqId);
    }

    static byte[] concat(byte[] a, byte[] b) {
        final byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
