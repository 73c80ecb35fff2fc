package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.LogCapture;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/**
 * The nesting limit on every transport (issue 9, defect 1). "Depth" is counted as the Buffered skipper
 * counts it: the args struct is level 1 and each struct nested in it one more, so depth {@code d} is
 * the args struct holding a chain of {@code d - 1} structs (in an unknown field, which the generated
 * code skips with {@code TProtocolUtil.skip}, libthrift's recursive skipper).
 */
@ExtendWith(NettyLeakDetection.class)
class KitexServerNestingDepthTest {

    private static final byte CALL = 1;
    private static final byte EXCEPTION = 3;
    private static final int PROTOCOL_ERROR = 7;

    private static KitexServer server;

    @RegisterExtension
    final LogCapture logs = LogCapture.of("io.kitex4j");

    @BeforeAll
    static void startServer() {
        server = KitexServer.builder().service(EchoService.class, new EchoHandler()).shutdownHook(false).build();
        server.start().join();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    static Stream<Arguments> accepted() {
        return Stream.of(Transport.values()).flatMap(t -> Stream.of(Arguments.of(t, 63), Arguments.of(t, 64)));
    }

    static Stream<Arguments> refused() {
        return Stream.of(Transport.values()).flatMap(t -> Stream.of(Arguments.of(t, 65), Arguments.of(t, 100_000)));
    }

    @ParameterizedTest(name = "{0} depth {1}")
    @MethodSource("accepted")
    void upToTheLimitIsServed(Transport transport, int depth) throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(transport, nestedEcho(7, depth, false)));
            final Wire.Response r = c.read(transport);
            assertThat(r.messageBegin().seqid).isEqualTo(7);
            assertThat(r.result(new EchoService.echo_result()).getSuccess()).isEqualTo("hi");
            // The connection is still good.
            c.write(frame(transport, nestedEcho(8, 1, false)));
            assertThat(c.read(transport).result(new EchoService.echo_result()).getSuccess()).isEqualTo("hi");
        }
    }

    @ParameterizedTest(name = "{0} depth {1}")
    @MethodSource("refused")
    void beyondTheLimitIsAProtocolErrorThenClose(Transport transport, int depth) throws Exception {
        final long before = server.rejections().get(RejectionKind.NESTING_TOO_DEEP);
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            final byte[] request = frame(transport, nestedEcho(9, depth, false));
            if (transport == Transport.BUFFERED && depth > 1000) {
                // A Buffered message has no length: the server refuses it after 65 levels, answers and
                // closes with most of the 400 KB unread, so its kernel resets the connection and the reply
                // may be lost with it (as with Kitex). The counter and the close are what is certain.
                writeIgnoringReset(c, request);
                readExceptionOrReset(c, transport);
            } else {
                c.write(request);
                assertProtocolError(c.read(transport), 9);
            }
            c.assertClosedByPeer(Duration.ofSeconds(10));
        }
        assertThat(server.rejections().get(RejectionKind.NESTING_TOO_DEEP)).isEqualTo(before + 1);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void nestedListsAreCountedToo(Transport transport) throws Exception {
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(transport, nestedEcho(3, 65, true)));
            assertProtocolError(c.read(transport), 3);
            c.assertClosedByPeer(Duration.ofSeconds(10));
        }
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(transport, nestedEcho(4, 64, true)));
            assertThat(c.read(transport).result(new EchoService.echo_result()).getSuccess()).isEqualTo("hi");
        }
    }

    @Test
    void theLimitIsConfigurable() throws Exception {
        final KitexServer shallow = KitexServer.builder().service(EchoService.class, new EchoHandler())
                                               .maxNestingDepth(3).shutdownHook(false).build();
        shallow.start().join();
        try {
            for (Transport t : Transport.values()) {
                try (Wire.Client c = new Wire.Client(shallow.localAddress())) {
                    c.write(frame(t, nestedEcho(1, 3, false)));
                    assertThat(c.read(t).result(new EchoService.echo_result()).getSuccess()).isEqualTo("hi");
                    c.write(frame(t, nestedEcho(2, 4, false)));
                    assertProtocolError(c.read(t), 2);
                    c.assertClosedByPeer(Duration.ofSeconds(10));
                }
            }
        } finally {
            shallow.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"FRAMED", "TTHEADER", "TTHEADER_FRAMED"})
    void oneDeepRequestLogsOneWarnLineWithoutStackTrace(Transport transport) throws Exception {
        // A server of its own: the shared one's lines for this kind may be used up by the tests before.
        final KitexServer fresh = KitexServer.builder().service(EchoService.class, new EchoHandler())
                                             .shutdownHook(false).build();
        fresh.start().join();
        try (Wire.Client c = new Wire.Client(fresh.localAddress())) {
            c.write(frame(transport, nestedEcho(5, 100_000, false)));
            assertProtocolError(c.read(transport), 5);
            c.assertClosedByPeer(Duration.ofSeconds(10));
        } finally {
            fresh.close();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !warnings().isEmpty());
        // Nothing else comes later (e.g. a late error from the closed connection).
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> warnings().size() == 1);
        final List<ILoggingEvent> warnings = warnings();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0).getThrowableProxy()).isNull();
        assertThat(warnings.get(0).getFormattedMessage())
                .startsWith("Closing connection from /127.0.0.1:")
                .contains("nesting depth exceeds 64")
                .doesNotContain("\n");
    }

    private List<ILoggingEvent> warnings() {
        return logs.atLeast(Level.WARN);
    }

    private static void assertProtocolError(Wire.Response r, int seqId) {
        assertThat(r.messageBegin().type).isEqualTo(EXCEPTION);
        assertThat(r.messageBegin().seqid).isEqualTo(seqId);
        final TApplicationException e = r.exception();
        assertThat(e.getType()).isEqualTo(PROTOCOL_ERROR);
        assertThat(e.getMessage()).contains("nesting depth exceeds");
    }

    private static void writeIgnoringReset(Wire.Client c, byte[] request) throws IOException {
        try {
            c.write(request);
        } catch (SocketException reset) {
            // refused before it was all sent
        }
    }

    private static void readExceptionOrReset(Wire.Client c, Transport transport) throws IOException {
        try {
            assertProtocolError(c.read(transport), 9);
        } catch (SocketException reset) {
            // the reply was lost with the reset
        }
    }

    /**
     * {@code echo("hi")} whose args struct holds, in unknown field 100, a chain nested to {@code depth}
     * levels in all (the args struct being level 1): structs, or with {@code lists}, {@code list<list<...>>}
     * of one element each, the innermost an empty {@code list<list>}, which the skipper and the protocol
     * both count as no level.
     */
    static byte[] nestedEcho(int seqId, int depth, boolean lists) {
        final ByteArrayOutputStream b = new ByteArrayOutputStream(4 * depth + 32);
        writeInt(b, 0x80010000 | CALL);
        writeInt(b, 4);
        b.writeBytes("echo".getBytes(StandardCharsets.US_ASCII));
        writeInt(b, seqId);
        b.writeBytes(new byte[] {0x0b, 0, 1, 0, 0, 0, 2, 'h', 'i'});
        if (lists) {
            if (depth > 1) {
                // field 100: list<list<...>>, each level one element: depth - 1 counted lists, then an empty one
                b.writeBytes(new byte[] {0x0f, 0, 100});
                for (int i = 1; i <= depth; i++) {
                    b.write(0x0f);
                    writeInt(b, i < depth ? 1 : 0);
                }
            }
            b.write(0);
        } else {
            for (int i = 1; i < depth; i++) {
                b.writeBytes(new byte[] {0x0c, 0, 100});
            }
            for (int i = 0; i < depth; i++) {
                b.write(0);
            }
        }
        return b.toByteArray();
    }

    private static void writeInt(ByteArrayOutputStream b, int v) {
        b.write(v >>> 24);
        b.write(v >>> 16);
        b.write(v >>> 8);
        b.write(v);
    }
}
