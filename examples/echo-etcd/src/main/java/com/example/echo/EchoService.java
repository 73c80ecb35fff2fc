package com.example.echo;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.thriftrpc.server.ServerCallContext;

/** The service itself: the {@code Iface} that Apache Thrift generates from echo.thrift, implemented plainly. */
public final class EchoService implements EchoServer.Iface {

    @Override
    public Response Echo(Request request) {
        // The call context says who called (the caller's service name travels in TTHeader, as from Go Kitex).
        final String caller = ServerCallContext.current().callerService();
        return new Response(request.getAction(), request.getMsg() + " (seen by echo, called by " + caller + ")");
    }

    @Override
    public ComplexResponse EchoComplex(ComplexRequest request) {
        return new ComplexResponse(request.getAction(), request.getMsg(), request.getMsgMap(),
                                   request.getSubMsgs(), request.getFlagMsg());
    }
}
