package io.kitex4j.opentelemetry;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * An asynchronous {@link EchoServer} handler (kitex4j's CompletionStage twin of each Iface method) that answers by
 * calling onwards with an async stub and returning that call's future: the handler method returns at once, and the
 * reply is written when the downstream call completes, on an I/O thread.
 */
public final class AsyncEchoHandler {

    final List<SpanContext> spanContexts = new CopyOnWriteArrayList<>();
    private final KitexClient downstream;

    AsyncEchoHandler(KitexClient downstream) {
        this.downstream = downstream;
    }

    /** Echo via the downstream service. */
    public CompletableFuture<Response> Echo(Request req) {
        spanContexts.add(Span.current().getSpanContext());
        return downstream.async(EchoServer.Iface.class).call(e -> e.Echo(req));
    }

    /** Not used by the tests. */
    public CompletableFuture<ComplexResponse> EchoComplex(ComplexRequest req) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("EchoComplex"));
    }
}
