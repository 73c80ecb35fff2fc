package io.kitex4j.cli;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;

/**
 * The echo.thrift service as the public Kitex benchmark servers implement it: action and message
 * come back unchanged. Action {@code sleep} with a message {@code N,...} sleeps N milliseconds
 * first, so that timeouts can be shown and tested.
 */
public final class EchoHandler implements EchoServer.Iface {

    @Override
    public Response Echo(Request req) {
        sleepIfAsked(req.getAction(), req.getMsg());
        return new Response(req.getAction(), req.getMsg());
    }

    @Override
    public ComplexResponse EchoComplex(ComplexRequest req) {
        sleepIfAsked(req.getAction(), req.getMsg());
        final ComplexResponse response = new ComplexResponse(req.getAction(), req.getMsg(), req.getMsgMap(),
                req.getSubMsgs(), req.getFlagMsg());
        if (req.isSetMsgSet()) {
            response.setMsgSet(req.getMsgSet());
        }
        return response;
    }

    private static void sleepIfAsked(String action, String msg) {
        if (!"sleep".equals(action) || msg == null) {
            return;
        }
        final int comma = msg.indexOf(',');
        final String millis = comma < 0 ? msg : msg.substring(0, comma);
        try {
            Thread.sleep(Long.parseLong(millis.trim()));
        } catch (NumberFormatException e) {
            // Not a sleep request after all: echo it like any other.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
