package io.kitex4j.thriftrpc.server;

import io.kitex4j.thriftrpc.server.testgen.EchoService;
import io.kitex4j.thriftrpc.server.testgen.OtherEchoService;

/** {@code echo(msg)} returns msg; the other service prefixes its name so tests see who answered. */
final class EchoHandler implements EchoService.Iface {
    @Override
    public String echo(String msg) {
        if ("panic".equals(msg)) {
            throw new AssertionError("oops");
        }
        return msg;
    }

    static final class Other implements OtherEchoService.Iface {
        @Override
        public String echo(String msg) {
            return "other:" + msg;
        }

        @Override
        public String other(String msg) {
            return "other:" + msg;
        }
    }
}
