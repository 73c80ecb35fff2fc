package com.example.observability;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.opentelemetry.api.baggage.Baggage;

/**
 * Echo, run inside the server span: {@code Span.current()} is that span, {@code Baggage.current()} the caller's
 * baggage, and the log lines carry {@code trace_id}/{@code span_id} in the MDC.
 */
public final class ObservedEchoService implements EchoServer.Iface {

    /** The baggage entry the handler reads (the client sets it; a Go client's {@code baggage} travels the same way). */
    public static final String TENANT = "tenant";

    private static final Logger log = LoggerFactory.getLogger(ObservedEchoService.class);

    @Override
    public Response Echo(Request request) {
        final String tenant = Baggage.current().getEntryValue(TENANT);
        log.info("echo of {} characters", request.getMsg().length());   // with trace_id and span_id in the MDC
        return new Response(request.getAction(), request.getMsg() + " (tenant " + tenant + ")");
    }

    @Override
    public ComplexResponse EchoComplex(ComplexRequest request) {
        return new ComplexResponse(request.getAction(), request.getMsg(), request.getMsgMap(),
                                   request.getSubMsgs(), request.getFlagMsg());
    }
}
