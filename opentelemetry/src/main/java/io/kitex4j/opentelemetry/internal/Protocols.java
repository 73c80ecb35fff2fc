package io.kitex4j.opentelemetry.internal;

import io.kitex4j.core.Transport;

/** Kitex's names of the transports, as {@code transport.Protocol.String()} (kitex/transport/keys.go) prints them. */
final class Protocols {

    private Protocols() {
    }

    static String name(Transport transport) {
        if (transport == null) {
            return "PurePayload";
        }
        return switch (transport) {
            case BUFFERED -> "PurePayload";
            case FRAMED -> "Framed";
            case TTHEADER -> "TTHeader";
            case TTHEADER_FRAMED -> "TTHeader|Framed";
        };
    }
}
