package io.kitex4j.thriftrpc.server;

import static io.kitex4j.thriftrpc.server.Wire.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.thrift.TApplicationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.testing.LogCapture;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;

/**
 * The logging rules of thrift-rpc's README ("Logging"), issue 9 defects 2 and 3: values from the wire
 * are escaped, one line per event, stack traces only on a period's first line, a rate limit and a
 * counter per {@link RejectionKind}.
 */
@ExtendWith(NettyLeakDetection.class)
class KitexServerLoggingTest {

    private static final byte CALL = 1;

    @RegisterExtension
    final LogCapture logs = LogCapture.of("io.kitex4j");

    private KitexServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void methodAndServiceNamesFromTheWireAreEscapedInOneLine() throws Exception {
        server = start(KitexServer.builder().service(EchoService.class, new EchoHandler()));
        final String evil = "ev\nil\r\u001b[2J\u0000\u0007 WARN forged line";
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            c.write(frame(Transport.TTHEADER_FRAMED, 1, Map.of("isn", "svc\n\u001b[31m"), Map.of(),
                          message(evil)));
            // The reply carries the name as received: wire bytes are not changed for logging.
            final TApplicationException e = c.read(Transport.TTHEADER_FRAMED).exception();
            assertThat(e.getMessage()).isEqualTo("unknown service svc\n\u001b[31m, method " + evil);
            c.assertClosedByPeer(Duration.ofSeconds(5));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !warnings().isEmpty());
        final List<ILoggingEvent> lines = warnings();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).getFormattedMessage())
                .contains("unknown service svc\\x0a\\x1b[31m, method ev\\x0ail\\x0d\\x1b[2J\\x00\\x07 WARN forged line")
                .doesNotContain("\n", "\r", "\u001b", "\u0000");
        assertThat(server.rejections()).containsEntry(RejectionKind.UNKNOWN_METHOD, 1L);
    }

    @Test
    void aFloodOfBadFramesLogsTheBurstAndCountsThemAll() throws Exception {
        // A period longer than the test: exactly the burst is logged.
        server = start(KitexServer.builder().service(EchoService.class, new EchoHandler())
                                  .rejectionLogLimit(Duration.ofHours(1), 5));
        final int frames = 200;
        for (int i = 0; i < frames; i++) {
            try (Wire.Client c = new Wire.Client(server.localAddress())) {
                c.write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                c.assertClosedByPeer(Duration.ofSeconds(5));
            }
        }
        await().atMost(Duration.ofSeconds(10))
               .until(() -> server.rejections().get(RejectionKind.MALFORMED_FRAME) == frames);
        assertThat(warnings()).hasSize(5).allSatisfy(e -> assertThat(e.getFormattedMessage())
                .startsWith("Closing connection from /127.0.0.1:").contains("invalid payload"));
        assertThat(server.rejections()).containsEntry(RejectionKind.FRAME_TOO_LARGE, 0L)
                                       .hasSize(RejectionKind.values().length);
    }

    @Test
    void aHandlerNpeOnEveryCallLogsOneStackTrace() throws Exception {
        final EchoService.Iface npe = msg -> {
            throw new NullPointerException("no " + msg + "\nforged line");
        };
        server = start(KitexServer.builder().service(EchoService.class, npe));
        try (Wire.Client c = new Wire.Client(server.localAddress())) {
            for (int i = 0; i < 100; i++) {
                c.write(frame(Transport.FRAMED, Wire.message("echo", CALL, i,
                                                              new EchoService.echo_args().setMsg("m" + i))));
                final TApplicationException e = c.read(Transport.FRAMED).exception();
                assertThat(e.getType()).isEqualTo(6);
                assertThat(e.getMessage()).isEqualTo("biz error: no m" + i + "\nforged line");
            }
        }
        assertThat(server.rejections()).containsEntry(RejectionKind.HANDLER_EXCEPTION, 100L);
        final List<ILoggingEvent> lines = warnings();
        // The default limit: 5 lines per 10 s (a slow machine may see a second period: 10 at most).
        assertThat(lines).hasSizeBetween(5, 10);
        assertThat(lines.stream().filter(e -> e.getThrowableProxy() != null)).hasSizeBetween(1, 2);
        for (ILoggingEvent e : lines) {
            assertThat(e.getFormattedMessage()).doesNotContain("\n").contains("no m").contains("\\x0aforged line");
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                assertThat(t.getMessage()).doesNotContain("\n").contains("NullPointerException");
            }
        }
    }

    private static KitexServer start(KitexServerBuilder b) {
        final KitexServer s = b.shutdownHook(false).build();
        s.start().join();
        return s;
    }

    private List<ILoggingEvent> warnings() {
        return logs.atLeast(Level.WARN);
    }

    /** A CALL with the raw bytes of {@code name} and empty args. */
    private static byte[] message(String name) {
        final byte[] n = name.getBytes(StandardCharsets.UTF_8);
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x80, 1, 0, CALL});
        b.writeBytes(new byte[] {0, 0, 0, (byte) n.length});
        b.writeBytes(n);
        b.writeBytes(new byte[] {0, 0, 0, 1, 0});
        return b.toByteArray();
    }
}
