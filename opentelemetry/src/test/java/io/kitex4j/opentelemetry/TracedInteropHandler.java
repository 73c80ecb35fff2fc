package io.kitex4j.opentelemetry;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.thrift.TException;

import io.kitex4j.core.Transport;
import io.kitex4j.core.middleware.Middleware;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.testing.InteropHandler;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * The tests' InteropService handler, recording the OpenTelemetry context its methods run in, and calling onwards
 * ({@link #callInfoVia}) with a client that has the given middleware, as a traced service would.
 */
class TracedInteropHandler extends InteropHandler {

    final List<SpanContext> spanContexts = new CopyOnWriteArrayList<>();
    final List<Baggage> baggages = new CopyOnWriteArrayList<>();
    private final String serviceName;
    private final Middleware[] downstreamMiddleware;
    private final ConcurrentHashMap<String, KitexClient> clients = new ConcurrentHashMap<>();

    TracedInteropHandler(String serviceName, Middleware... downstreamMiddleware) {
        super(serviceName);
        this.serviceName = serviceName;
        this.downstreamMiddleware = downstreamMiddleware;
    }

    private void seen() {
        spanContexts.add(Span.current().getSpanContext());
        baggages.add(Baggage.current());
    }

    @Override
    public String echoString(String value) {
        seen();
        return super.echoString(value);
    }

    @Override
    public CallInfo callInfo() {
        seen();
        return super.callInfo();
    }

    /** Calls {@code callInfo} on {@code target} (as service {@code downstream}) over TTHeaderFramed with the downstream middleware. */
    @Override
    public CallInfo callInfoVia(String target) throws TException {
        seen();
        final KitexClient c = clients.computeIfAbsent(target, t -> KitexClient.builder().service("downstream")
                .fromService(serviceName).addresses(t).transport(Transport.TTHEADER_FRAMED)
                .middleware(downstreamMiddleware).ioThreads(1).build());
        return c.stub(InteropService.Iface.class).callInfo();
    }

    @Override
    public void close() {
        super.close();
        clients.values().forEach(KitexClient::close);
    }
}
