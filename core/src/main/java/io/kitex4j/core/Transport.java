package io.kitex4j.core;

/**
 * How one Thrift message is framed on the connection. Kitex calls these "transport protocols"
 * ({@code transport.Protocol} in {@code kitex/transport/keys.go}); {@link #TTHEADER_FRAMED} is Kitex's
 * {@code TTHeader|Framed}.
 *
 * <pre>
 * BUFFERED         [message]                                  (Kitex PurePayload: no length at all)
 * FRAMED           [u32 length][message]
 * TTHEADER         [TTHeader: LENGTH ... header info][message]
 * TTHEADER_FRAMED  [TTHeader: LENGTH ... header info][u32 length][message]
 * </pre>
 *
 * {@code [message]} is always a strict binary Thrift message: it starts with the version word
 * {@code 0x8001_00TT}. A server answers each request in the request's own transport; a Kitex Go client
 * (v0.13 and later) sends {@link #FRAMED} by default, and {@link #TTHEADER_FRAMED} when configured with
 * {@code WithTransportProtocol(transport.TTHeader)}.
 */
public enum Transport {
    /** The bare message; its end is only known by parsing it. Kitex's {@code PurePayload}. */
    BUFFERED(false, false),
    /** A big-endian u32 length, then the message. Kitex's default since v0.13. */
    FRAMED(false, true),
    /** A TTHeader, then the bare message (the TTHeader's LENGTH delimits it). */
    TTHEADER(true, false),
    /** A TTHeader, then a u32 length, then the message. */
    TTHEADER_FRAMED(true, true);

    private final boolean ttheader;
    private final boolean framed;

    Transport(boolean ttheader, boolean framed) {
        this.ttheader = ttheader;
        this.framed = framed;
    }

    /** Whether the message is preceded by a TTHeader ({@link #TTHEADER} and {@link #TTHEADER_FRAMED}). */
    public boolean hasTTHeader() {
        return ttheader;
    }

    /**
     * Whether the message is preceded by its own u32 length ({@link #FRAMED} and
     * {@link #TTHEADER_FRAMED}).
     */
    public boolean isFramed() {
        return framed;
    }

    /** The transport with the given two properties. */
    public static Transport of(boolean ttheader, boolean framed) {
        if (ttheader) {
            return framed ? TTHEADER_FRAMED : TTHEADER;
        }
        return framed ? FRAMED : BUFFERED;
    }
}
