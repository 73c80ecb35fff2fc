package io.kitex4j.cli;

import io.kitex4j.core.Metainfo;
import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The echo.thrift service as the public Kitex benchmark servers implement it: action and message
 * come back unchanged. Action {@code sleep} with a message {@code N,...} sleeps N milliseconds
 * first, so that timeouts can be shown and tested. Two actions answer as interop-tests' Go peer
 * does, so that a caller can tell who answered and what crossed the wire: {@code whoami} answers
 * with the server's name, {@code metainfo} with the transient metainfo the call carried, as
 * {@code k=v} pairs sorted by key and joined by commas.
 */
public final class EchoHandler implements EchoServer.Iface {

    private final String name;

    /** A handler whose {@code whoami} answer is {@code name}. */
    public EchoHandler(String name) {
        this.name = name;
    }

    @Override
    public Response Echo(Request req) {
        sleepIfAsked(req.getAction(), req.getMsg());
        if ("whoami".equals(req.getAction())) {
            return new Response(req.getAction(), name);
        }
        if ("metainfo".equals(req.getAction())) {
            return new Response(req.getAction(), formatTransients(Metainfo.current().transients()));
        }
        return new Response(req.getAction(), req.getMsg());
    }

    /** {@code k=v} pairs sorted by key, joined by commas: the {@code metainfo} answer of both peers. */
    static String formatTransients(Map<String, String> transients) {
        return new TreeMap<>(transients).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
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
