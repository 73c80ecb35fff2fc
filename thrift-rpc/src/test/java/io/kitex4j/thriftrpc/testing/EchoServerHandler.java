package io.kitex4j.thriftrpc.testing;

import java.util.concurrent.atomic.LongAdder;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;

/**
 * The Java {@link EchoServer} handler of the tests, as the Go peer's ({@code interop-tests/go/cmd/server}): echoes;
 * action {@code "whoami"} answers the server's name; action {@code "sleep"} first sleeps as many milliseconds as
 * the message's first comma-separated number.
 */
public final class EchoServerHandler implements EchoServer.Iface {

    private final String serverName;
    private final LongAdder echoes = new LongAdder();

    /** A handler whose {@code "whoami"} answers {@code serverName}. */
    public EchoServerHandler(String serverName) {
        this.serverName = serverName;
    }

    /** How many {@code Echo} calls this handler has answered or is answering. */
    public long echoes() {
        return echoes.sum();
    }

    @Override
    public Response Echo(Request req) {
        echoes.increment();
        if ("sleep".equals(req.getAction())) {
            try {
                // Simulates slow work on purpose.
                Thread.sleep(Long.parseLong(req.getMsg().split(",", 2)[0].trim()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if ("whoami".equals(req.getAction())) {
            return new Response(req.getAction(), serverName);
        }
        return new Response(req.getAction(), req.getMsg());
    }

    @Override
    public ComplexResponse EchoComplex(ComplexRequest req) {
        final ComplexResponse r = new ComplexResponse(req.getAction(), req.getMsg(), req.getMsgMap(),
                req.getSubMsgs(), req.getFlagMsg());
        if (req.isSetMsgSet()) {
            r.setMsgSet(req.getMsgSet());
        }
        return r;
    }
}
