package io.kitex4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;

/**
 * {@code kitex.recv_size}/{@code kitex.send_size} (as Kitex's RPCStats count them: the whole frame sent, the frame
 * received less a skipped frame length) and the trace ids
 * in the SLF4J MDC of the handler's log lines.
 */
@ExtendWith(NettyLeakDetection.class)
class SizesAndMdcTest {

    private static final Logger handlerLog = LoggerFactory.getLogger("io.kitex4j.opentelemetry.test.handler");

    private final Telemetry telemetry = new Telemetry();
    private final ExecutorService handlerThread = Executors.newSingleThreadExecutor();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private final List<AutoCloseable> closeables = new java.util.ArrayList<>();

    @AfterEach
    void close() throws Exception {
        ((ch.qos.logback.classic.Logger) handlerLog).detachAppender(appender);
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        telemetry.close();
        handlerThread.shutdownNow();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"FRAMED", "BUFFERED", "TTHEADER", "TTHEADER_FRAMED"})
    void sizesAreTheWholeFramesAsKitexCountsThem(Transport transport) throws Exception {
        final EchoServer.Iface stub = echo(telemetry.tracing("backend"), transport);
        final Response r = stub.Echo(new Request("plain", "hello sizes"));
        assertThat(r.getMsg()).isEqualTo("hello sizes");

        final SpanData client = telemetry.span(SpanKind.CLIENT, "backend");
        final SpanData server = telemetry.span(SpanKind.SERVER, "backend");
        final long sent = client.getAttributes().get(KitexAttributes.KITEX_SEND_SIZE);
        final long received = client.getAttributes().get(KitexAttributes.KITEX_RECV_SIZE);
        // The same frame, counted by each end as Kitex does: the receiver skips a frame length without counting it.
        final int skipped = transport.isFramed() ? 4 : 0;
        assertThat(server.getAttributes().get(KitexAttributes.KITEX_RECV_SIZE)).isEqualTo(sent - skipped);
        // A kitex4j server frames its reply after its span ended: no send_size there.
        assertThat(server.getAttributes().get(KitexAttributes.KITEX_SEND_SIZE)).isNull();

        final int reply = messageBytes("Echo", new EchoServer.Echo_result().setSuccess(r));
        final int request = messageBytes("Echo", new EchoServer.Echo_args(new Request("plain", "hello sizes")));
        switch (transport) {
            case BUFFERED -> {
                assertThat(sent).isEqualTo(request);
                assertThat(received).isEqualTo(reply);
            }
            case FRAMED -> {
                assertThat(sent).isEqualTo(4 + request);
                assertThat(received).isEqualTo(reply);
            }
            default -> {
                // TTHeader: its header (and for TTHeaderFramed a frame length) in front of the message.
                assertThat(sent).isGreaterThan(request + 14 + skipped);
                assertThat(received).isGreaterThan(reply + 14);
            }
        }
    }

    @Test
    void handlerLogLinesCarryTheServerSpansIdsAndTheMdcIsRestoredAfterwards() throws Exception {
        attach();
        MDC.put(KitexTracing.MDC_TRACE_ID, "before");
        handlerThread.submit(() -> MDC.put(KitexTracing.MDC_TRACE_ID, "the thread's own")).get();
        final EchoServer.Iface stub = echo(telemetry.tracing("backend"), Transport.TTHEADER_FRAMED);
        stub.Echo(new Request("log", "first"));
        stub.Echo(new Request("log", "second"));
        handlerThread.submit(() -> handlerLog.info("after the calls")).get();

        final List<SpanData> servers = telemetry.spans().stream().filter(s -> s.getKind() == SpanKind.SERVER).toList();
        assertThat(servers).hasSize(2);
        final List<ILoggingEvent> events = appender.list;
        assertThat(events).extracting(ILoggingEvent::getFormattedMessage)
                          .containsExactly("handling first", "handling second", "after the calls");
        for (int i = 0; i < 2; i++) {
            final Map<String, String> mdc = events.get(i).getMDCPropertyMap();
            assertThat(mdc).containsEntry(KitexTracing.MDC_TRACE_ID, servers.get(i).getTraceId())
                           .containsEntry(KitexTracing.MDC_SPAN_ID, servers.get(i).getSpanId());
        }
        assertThat(servers.get(0).getTraceId()).isNotEqualTo(servers.get(1).getTraceId());
        // The handler thread's previous value is back, and no span id is left behind.
        assertThat(events.get(2).getMDCPropertyMap()).containsEntry(KitexTracing.MDC_TRACE_ID, "the thread's own")
                                                      .doesNotContainKey(KitexTracing.MDC_SPAN_ID);
        // The caller's thread was not touched.
        assertThat(MDC.get(KitexTracing.MDC_TRACE_ID)).isEqualTo("before");
        MDC.clear();
    }

    @Test
    void mdcFalseLeavesTheMdcAlone() throws Exception {
        attach();
        final KitexTracing tracing = KitexTracing.builder().openTelemetry(telemetry.sdk).mdc(false).build();
        echo(tracing, Transport.TTHEADER_FRAMED).Echo(new Request("log", "quiet"));
        assertThat(appender.list).hasSize(1);
        assertThat(appender.list.get(0).getMDCPropertyMap()).doesNotContainKeys(KitexTracing.MDC_TRACE_ID,
                                                                                KitexTracing.MDC_SPAN_ID);
    }

    private void attach() {
        appender.start();
        ((ch.qos.logback.classic.Logger) handlerLog).addAppender(appender);
    }

    private EchoServer.Iface echo(KitexTracing tracing, Transport transport) {
        final KitexServer server = KitexServer.builder().address("127.0.0.1", 0).serviceName("backend")
                                              .service(EchoServer.class, new LoggingEcho())
                                              .executor(handlerThread, false).middleware(tracing.serverMiddleware())
                                              .shutdownHook(false).drainTimeout(Duration.ofSeconds(1)).build();
        server.start().join();
        final KitexClient client = KitexClient.builder().service("backend").fromService("frontend")
                                              .addresses(Telemetry.address(server)).transport(transport)
                                              .rpcTimeout(Duration.ofSeconds(5))
                                              .middleware(tracing.clientMiddleware()).build();
        closeables.add(server);
        closeables.add(client);
        return client.stub(EchoServer.Iface.class);
    }

    private static int messageBytes(String method, org.apache.thrift.TBase<?, ?> struct) throws Exception {
        final byte type = struct instanceof EchoServer.Echo_args ? (byte) 1 : (byte) 2;
        final ByteBuf b = ThriftCodec.encodeMessage(UnpooledByteBufAllocator.DEFAULT, method, type, 0, struct);
        try {
            return b.readableBytes();
        } finally {
            b.release();
        }
    }

    private static final class LoggingEcho implements EchoServer.Iface {
        @Override
        public Response Echo(Request req) {
            if ("log".equals(req.getAction())) {
                handlerLog.info("handling {}", req.getMsg());
            }
            return new Response(req.getAction(), req.getMsg());
        }

        @Override
        public ComplexResponse EchoComplex(ComplexRequest req) {
            throw new UnsupportedOperationException();
        }
    }
}
