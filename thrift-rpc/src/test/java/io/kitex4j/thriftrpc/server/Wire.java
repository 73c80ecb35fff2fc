package io.kitex4j.thriftrpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TMemoryInputTransport;

import io.kitex4j.core.Transport;

/**
 * Hand-rolled wire helpers for the server tests: they build requests and parse responses without the
 * codec under test (TTHeader by hand, Thrift messages with libthrift's TBinaryProtocol).
 */
final class Wire {

    private Wire() {}

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("[\\s|]", ""));
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** A strict binary Thrift message. */
    static byte[] message(String name, byte type, int seqId, TBase<?, ?> body) {
        try {
            final TMemoryBuffer buf = new TMemoryBuffer(64);
            final TBinaryProtocol p = new TBinaryProtocol(buf);
            p.writeMessageBegin(new TMessage(name, type, seqId));
            body.write(p);
            p.writeMessageEnd();
            return java.util.Arrays.copyOf(buf.getArray(), buf.length());
        } catch (TException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] frame(Transport transport, byte[] message) {
        return frame(transport, 0, Map.of(), Map.of(), message);
    }

    /** Frames a message; for TTHeader transports, with a header holding these KVs (in map order). */
    static byte[] frame(Transport transport, int seqId, Map<String, String> strings, Map<Integer, String> ints,
                        byte[] message) {
        try {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final DataOutputStream d = new DataOutputStream(out);
            byte[] payload = message;
            if (transport.isFramed()) {
                final ByteArrayOutputStream f = new ByteArrayOutputStream();
                new DataOutputStream(f).writeInt(message.length);
                f.write(message);
                payload = f.toByteArray();
            }
            if (!transport.hasTTHeader()) {
                d.write(payload);
                return out.toByteArray();
            }
            final byte[] info = headerInfo(strings, ints);
            d.writeInt(10 + info.length + payload.length);
            d.writeShort(0x1000);
            d.writeShort(0);
            d.writeInt(seqId);
            d.writeShort(info.length / 4);
            d.write(info);
            d.write(payload);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] headerInfo(Map<String, String> strings, Map<Integer, String> ints) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final DataOutputStream d = new DataOutputStream(out);
        d.writeByte(0);   // protocol id: Thrift binary
        d.writeByte(0);   // no transforms
        if (!strings.isEmpty()) {
            d.writeByte(0x01);
            d.writeShort(strings.size());
            for (Map.Entry<String, String> e : strings.entrySet()) {
                writeString(d, e.getKey());
                writeString(d, e.getValue());
            }
        }
        if (!ints.isEmpty()) {
            d.writeByte(0x10);
            d.writeShort(ints.size());
            for (Map.Entry<Integer, String> e : ints.entrySet()) {
                d.writeShort(e.getKey());
                writeString(d, e.getValue());
            }
        }
        while (out.size() % 4 != 0) {
            d.writeByte(0);
        }
        return out.toByteArray();
    }

    private static void writeString(DataOutputStream d, String s) throws IOException {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.writeShort(b.length);
        d.write(b);
    }

    /** A parsed response. */
    record Response(Transport transport, byte[] raw, int headerSeqId, int headerFlags,
                    Map<String, String> strings, Map<Integer, String> ints, byte[] message) {

        TMessage messageBegin() {
            try {
                return new TBinaryProtocol(new TMemoryInputTransport(message)).readMessageBegin();
            } catch (TException e) {
                throw new IllegalStateException(e);
            }
        }

        <T extends TBase<?, ?>> T result(T into) {
            try {
                final TBinaryProtocol p = new TBinaryProtocol(new TMemoryInputTransport(message));
                final TMessage m = p.readMessageBegin();
                assertThat(m.type).as("message type").isEqualTo((byte) 2);
                into.read(p);
                return into;
            } catch (TException e) {
                throw new IllegalStateException(e);
            }
        }

        TApplicationException exception() {
            try {
                final TBinaryProtocol p = new TBinaryProtocol(new TMemoryInputTransport(message));
                final TMessage m = p.readMessageBegin();
                assertThat(m.type).as("message type").isEqualTo((byte) 3);
                return TApplicationException.readFrom(p);
            } catch (TException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A blocking socket to the server under test. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Client(InetSocketAddress address) throws IOException {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", address.getPort()), 5000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        Client write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        byte[] readExactly(int n) throws IOException {
            final byte[] b = in.readNBytes(n);
            if (b.length < n) {
                throw new EOFException("expected " + n + " bytes, got " + b.length + ": " + hex(b));
            }
            return b;
        }

        /** Reads one response in the given transport. */
        Response read(Transport transport) throws IOException {
            final ByteArrayOutputStream raw = new ByteArrayOutputStream();
            int headerSeqId = 0;
            int flags = 0;
            final Map<String, String> strings = new LinkedHashMap<>();
            final Map<Integer, String> ints = new LinkedHashMap<>();
            byte[] message;
            if (transport.hasTTHeader()) {
                final byte[] len = readExactly(4);
                raw.write(len);
                final byte[] rest = readExactly(ByteBuffer.wrap(len).getInt());
                raw.write(rest);
                final ByteBuffer b = ByteBuffer.wrap(rest);
                assertThat(b.getShort() & 0xFFFF).as("TTHeader magic").isEqualTo(0x1000);
                flags = b.getShort() & 0xFFFF;
                headerSeqId = b.getInt();
                final int infoLen = (b.getShort() & 0xFFFF) * 4;
                final ByteBuffer info = b.slice(b.position(), infoLen);
                b.position(b.position() + infoLen);
                parseInfo(info, strings, ints);
                if (transport.isFramed()) {
                    final int n = b.getInt();
                    assertThat(n).as("frame length").isEqualTo(b.remaining());
                }
                message = new byte[b.remaining()];
                b.get(message);
            } else if (transport.isFramed()) {
                final byte[] len = readExactly(4);
                raw.write(len);
                message = readExactly(ByteBuffer.wrap(len).getInt());
                raw.write(message);
            } else {
                message = readBufferedMessage();
                raw.write(message);
            }
            return new Response(transport, raw.toByteArray(), headerSeqId, flags, strings, ints, message);
        }

        // A Buffered message has no length: read the message header, then skip the struct with libthrift.
        private byte[] readBufferedMessage() throws IOException {
            final ByteArrayOutputStream copy = new ByteArrayOutputStream();
            final InputStream tee = new InputStream() {
                @Override
                public int read() throws IOException {
                    final int b = in.read();
                    if (b >= 0) {
                        copy.write(b);
                    }
                    return b;
                }
            };
            try {
                final TBinaryProtocol p = new TBinaryProtocol(
                        new org.apache.thrift.transport.TIOStreamTransport(tee));
                p.readMessageBegin();
                org.apache.thrift.protocol.TProtocolUtil.skip(p, org.apache.thrift.protocol.TType.STRUCT);
                p.readMessageEnd();
            } catch (TException e) {
                throw new IOException(e);
            }
            return copy.toByteArray();
        }

        private static void parseInfo(ByteBuffer b, Map<String, String> strings, Map<Integer, String> ints) {
            b.get();   // protocol id
            final int transforms = b.get() & 0xFF;
            b.position(b.position() + transforms);
            while (b.hasRemaining()) {
                final int id = b.get() & 0xFF;
                switch (id) {
                    case 0x00:
                        break;
                    case 0x01: {
                        final int n = b.getShort() & 0xFFFF;
                        for (int i = 0; i < n; i++) {
                            strings.put(readString(b), readString(b));
                        }
                        break;
                    }
                    case 0x10: {
                        final int n = b.getShort() & 0xFFFF;
                        for (int i = 0; i < n; i++) {
                            ints.put(b.getShort() & 0xFFFF, readString(b));
                        }
                        break;
                    }
                    default:
                        throw new IllegalStateException("unexpected info id " + id);
                }
            }
        }

        private static String readString(ByteBuffer b) {
            final byte[] s = new byte[b.getShort() & 0xFFFF];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }

        /** Asserts that the server closes the connection (EOF or reset) within the timeout. */
        void assertClosedByPeer(Duration timeout) throws IOException {
            socket.setSoTimeout((int) timeout.toMillis());
            try {
                final int b = in.read();
                assertThat(b).as("expected EOF, got a byte").isEqualTo(-1);
            } catch (SocketException e) {
                // connection reset: closed as well
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the server did not close the connection within " + timeout);
            } finally {
                socket.setSoTimeout(10_000);
            }
        }

        /** Asserts that nothing arrives within the given time and the connection stays open. */
        void assertNothingFor(Duration time) throws IOException {
            socket.setSoTimeout((int) time.toMillis());
            try {
                final int b = in.read();
                throw new AssertionError(b < 0 ? "the server closed the connection" : "unexpected byte " + b);
            } catch (SocketTimeoutException expected) {
                // nothing came
            } finally {
                socket.setSoTimeout(10_000);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
