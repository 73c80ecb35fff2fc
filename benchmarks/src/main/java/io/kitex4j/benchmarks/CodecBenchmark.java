package io.kitex4j.benchmarks;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Encoding and decoding one {@code EchoServer.Echo} call carrying a 1 KiB {@code echo.thrift} Request
 * ({@code action="echo"}, {@code msg} = 1,024 ASCII bytes: a 1,063-byte Thrift message), single-threaded,
 * with the pooled direct allocator a Netty server uses.
 *
 * <ul>
 * <li>{@code encode}: {@code Echo_args} to wire bytes: {@link ThriftCodec#encodeMessage} (libthrift's
 * generated writer over a {@code ByteBuf}), then {@link KitexFrameEncoder} in a pipeline (framing, header
 * encoding; the framing and the payload leave as two messages, as a channel would write them with one
 * gathering write). What was written is released at once.</li>
 * <li>{@code decode}: wire bytes to {@code Echo_args}: {@link KitexFrameDecoder} in a pipeline (detection,
 * framing, TTHeader parsing, a slice of the payload), then
 * {@link ThriftCodec#decodeMessage(ByteBuf, org.apache.thrift.TBase, ThriftMessageHeader)} with the
 * frame's already parsed message header, as the server and the client do.</li>
 * <li>{@code decodeFrameOnly}: the decoder's part alone (the frame is released without reading the
 * struct): what kitex4j adds over libthrift on the read side.</li>
 * </ul>
 *
 * For TTHeader the header carries what a Kitex client with {@code ClientTTHeaderHandler} and metainfo
 * sends: {@code isn}, a transient and a persistent metainfo value, and integer keys 1, 3, 6, 9, 20, 22
 * (a 168-byte header block). The header object is built once; building it per call is the caller's
 * cost, not the codec's. Both pipelines are {@link EmbeddedChannel}s, whose own overhead (a few tens of
 * ns per read or write) is included.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class CodecBenchmark {

    @Param({"FRAMED", "TTHEADER_FRAMED"})
    public Transport transport;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private EchoServer.Echo_args args;
    private TTHeader header;
    private ByteBuf wire;
    private EmbeddedChannel encoder;
    private EmbeddedChannel decoder;

    @Setup(Level.Trial)
    public void setUp() {
        args = new EchoServer.Echo_args(new Request("echo", "x".repeat(1024)));
        header = TTHeader.builder()
                         .string(MetaKeys.ISN, "EchoServer")
                         .string(MetaKeys.TRANSIT_PREFIX + "request-id", "7f3c0a9e-42")
                         .string(MetaKeys.PERSIST_PREFIX + "tenant", "benchmark")
                         .intValue(MetaKeys.TRANSPORT_TYPE, "framed")
                         .intValue(MetaKeys.FROM_SERVICE, "kitex4j.bench.client")
                         .intValue(MetaKeys.TO_SERVICE, "kitex4j.bench.server")
                         .intValue(MetaKeys.TO_METHOD, "Echo")
                         .intValue(MetaKeys.FROM_METHOD, "")
                         .intValue(MetaKeys.MSG_TYPE, "1")
                         .build();
        encoder = new EmbeddedChannel(KitexFrameEncoder.INSTANCE);
        decoder = new EmbeddedChannel(new KitexFrameDecoder());
        encoder.config().setAllocator(alloc);
        decoder.config().setAllocator(alloc);

        wire = alloc.directBuffer();
        encodeToWire();
        ByteBuf part;
        while ((part = encoder.readOutbound()) != null) {
            wire.writeBytes(part);
            part.release();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        wire.release();
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }

    private void encodeToWire() {
        final ByteBuf payload = ThriftCodec.encodeMessage(alloc, "Echo", ThriftMessageHeader.CALL, 1, args, 2048);
        encoder.writeOutbound(new KitexFrame(transport, transport.hasTTHeader() ? header : null, payload));
    }

    /** Echo_args to wire bytes. */
    @Benchmark
    public int encode() {
        encodeToWire();
        int n = 0;
        ByteBuf out;
        while ((out = encoder.readOutbound()) != null) {
            n += out.readableBytes();
            out.release();
        }
        return n;
    }

    /** Wire bytes to Echo_args. */
    @Benchmark
    public EchoServer.Echo_args decode() {
        decoder.writeInbound(wire.retainedDuplicate());
        final KitexFrame frame = decoder.readInbound();
        try {
            final EchoServer.Echo_args out = new EchoServer.Echo_args();
            ThriftCodec.decodeMessage(frame.payload(), out, frame.messageHeader());
            return out;
        } finally {
            frame.release();
        }
    }

    /** Wire bytes to a frame (transport, header, payload slice, message header), struct not read. */
    @Benchmark
    public int decodeFrameOnly() {
        decoder.writeInbound(wire.retainedDuplicate());
        final KitexFrame frame = decoder.readInbound();
        final int seqId = frame.messageHeader().seqId();
        frame.release();
        return seqId;
    }
}
