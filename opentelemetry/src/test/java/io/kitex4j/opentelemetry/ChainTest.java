package io.kitex4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.kitex4j.core.Transport;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.EchoServerHandler;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;

/** Traces across hops: a server handler's own calls continue the caller's trace. */
@ExtendWith(NettyLeakDetection.class)
class ChainTest {

    private final Telemetry telemetry = new Telemetry();

    @AfterEach
    void close() throws Exception {
        telemetry.close();
    }

    @Test
    void aThreeHopJavaChainIsOneTrace() throws Exception {
        final KitexTracing a = telemetry.tracing("a");
        final KitexTracing b = telemetry.tracing("b");
        final KitexTracing c = telemetry.tracing("c");
        final TracedInteropHandler handlerC = new TracedInteropHandler("c");
        final KitexServer serverC = telemetry.server(InteropService.class, handlerC, "c", c.serverMiddleware());
        final TracedInteropHandler handlerB = new TracedInteropHandler("b", b.clientMiddleware());
        final KitexServer serverB = telemetry.server(InteropService.class, handlerB, "b", b.serverMiddleware());
        final KitexClient client = telemetry.client("b", "a", serverB, Transport.TTHEADER_FRAMED, a.clientMiddleware());

        final CallInfo info = client.stub(InteropService.Iface.class).callInfoVia(Telemetry.address(serverC));
        assertThat(info.getServerName()).isEqualTo("c");

        final SpanData aClient = telemetry.span(SpanKind.CLIENT, "b");
        final SpanData bServer = telemetry.span(SpanKind.SERVER, "b");
        final SpanData bClient = telemetry.span(SpanKind.CLIENT, "downstream");
        final SpanData cServer = telemetry.span(SpanKind.SERVER, "c");
        assertThat(telemetry.spans()).hasSize(4).extracting(SpanData::getTraceId).containsOnly(aClient.getTraceId());
        assertThat(aClient.getParentSpanContext().isValid()).isFalse();
        assertThat(bServer.getParentSpanId()).isEqualTo(aClient.getSpanId());
        assertThat(bClient.getParentSpanId()).isEqualTo(bServer.getSpanId());
        assertThat(cServer.getParentSpanId()).isEqualTo(bClient.getSpanId());
        assertThat(bServer.getAttributes().get(KitexAttributes.PEER_SERVICE)).isEqualTo("a");
        assertThat(cServer.getAttributes().get(KitexAttributes.PEER_SERVICE)).isEqualTo("b");
        assertThat(cServer.getName()).isEqualTo("interop.InteropService/callInfo");
        // Transient keys are one hop only: C received B's trace fields and service.name, not A's.
        assertThat(PropagationTest.rpcKeys(info)).containsEntry("RPC_TRANSIT_service.name", "b")
                                                 .containsEntry("RPC_TRANSIT_ot-tracer-spanid", bClient.getSpanId());
        // Inner spans end before outer ones.
        assertThat(cServer.getEndEpochNanos()).isLessThanOrEqualTo(bClient.getEndEpochNanos());
        assertThat(bClient.getEndEpochNanos()).isLessThanOrEqualTo(bServer.getEndEpochNanos());
        assertThat(bServer.getEndEpochNanos()).isLessThanOrEqualTo(aClient.getEndEpochNanos());
    }

    @Test
    void anAsynchronousHandlerThatCallsOnwardsFromItsMethodContinuesTheTrace() throws Exception {
        final KitexTracing front = telemetry.tracing("front");
        final KitexTracing middle = telemetry.tracing("middle");
        final KitexTracing back = telemetry.tracing("back");
        final KitexServer backServer = telemetry.server(EchoServer.class, new EchoServerHandler("back"), "back",
                                                        back.serverMiddleware());
        final KitexClient toBack = telemetry.client("back", "middle", backServer, Transport.TTHEADER,
                                                    middle.clientMiddleware());
        final AsyncEchoHandler handler = new AsyncEchoHandler(toBack);
        final KitexServer middleServer = telemetry.server(EchoServer.class, handler, "middle",
                                                          middle.serverMiddleware());
        final KitexClient client = telemetry.client("middle", "front", middleServer, Transport.TTHEADER_FRAMED,
                                                    front.clientMiddleware());

        // An async call from the test thread, too.
        assertThat(client.async(EchoServer.Iface.class).call(e -> e.Echo(new Request("echo", "hi"))).join()
                         .getMsg()).isEqualTo("hi");

        final SpanData frontClient = telemetry.span(SpanKind.CLIENT, "middle");
        final SpanData middleServerSpan = telemetry.span(SpanKind.SERVER, "middle");
        final SpanData middleClient = telemetry.span(SpanKind.CLIENT, "back");
        final SpanData backServerSpan = telemetry.span(SpanKind.SERVER, "back");
        assertThat(telemetry.spans()).extracting(SpanData::getTraceId).containsOnly(frontClient.getTraceId());
        assertThat(middleServerSpan.getParentSpanId()).isEqualTo(frontClient.getSpanId());
        assertThat(middleClient.getParentSpanId()).isEqualTo(middleServerSpan.getSpanId());
        assertThat(backServerSpan.getParentSpanId()).isEqualTo(middleClient.getSpanId());
        assertThat(handler.spanContexts.get(0).getSpanId()).isEqualTo(middleServerSpan.getSpanId());
        assertThat(middleServerSpan.getName()).isEqualTo("echo.EchoServer/Echo");
        // The asynchronous server span ends when the handler's future completes, after the downstream call.
        assertThat(middleClient.getEndEpochNanos()).isLessThanOrEqualTo(middleServerSpan.getEndEpochNanos());
    }
}
