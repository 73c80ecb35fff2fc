package io.kitex4j.benchmarks;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.TTHeaderRequestTemplate;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.thriftrpc.internal.transmeta.TTHeaderMeta;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
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

/**
 * One client request over TTHeaderFramed ({@code EchoServer.Echo}, 1 KiB Request, RPC timeout 1 s), from the
 * call's values to the wire bytes, both ways the client has had:
 *
 * <ul>
 * <li>{@code builder}: issue 10's path: a {@link TTHeader} built per call ({@link TTHeaderMeta#clientWrite}),
 * the message in its own buffer, {@link KitexFrameEncoder#encode} (a header buffer, as on the I/O thread).</li>
 * <li>{@code template}: issue 11's path ({@code RequestEncoder}): the constant keys pre-encoded once in a
 * {@link TTHeaderRequestTemplate}, header and message written into one buffer.</li>
 * </ul>
 *
 * {@code metainfo}: none (the common case) or one transient and one persistent value. Run with
 * {@code -prof gc}: the B/op difference is what the template saves per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class ClientRequestBenchmark {

    @Param({"false", "true"})
    public boolean metainfo;

    private static final byte[] NO_CALLER_METHOD = new byte[0];
    private static final Duration RPC_TIMEOUT = Duration.ofSeconds(1);

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final Transport transport = Transport.TTHEADER_FRAMED;
    private EchoServer.Echo_args args;
    private Context context;
    private TTHeaderRequestTemplate template;
    private int seqId;

    @Setup(Level.Trial)
    public void setUp() {
        args = new EchoServer.Echo_args(new Request("echo", "x".repeat(1024)));
        final Metainfo mi = metainfo
                ? Metainfo.empty().withTransient("request-id", "7f3c0a9e-42").withPersistent("tenant", "benchmark")
                : Metainfo.empty();
        context = new Context(mi);
        template = TTHeaderMeta.clientTemplate(transport, context.callerService(), context.calleeService(),
                context.method(), ThriftMessageHeader.CALL, context.idlService());
    }

    /** Issue 10: a TTHeader per call, then the frame encoder. */
    @Benchmark
    public int builder() {
        final int id = ++seqId;
        final TTHeader.Builder b = TTHeader.builder().seqId(id);
        TTHeaderMeta.clientWrite(context, ThriftMessageHeader.CALL, 0, b);
        final KitexFrame frame = new KitexFrame(transport, b.build(),
                ThriftCodec.encodeMessage(alloc, "Echo", ThriftMessageHeader.CALL, id, args));
        final ByteBuf out = KitexFrameEncoder.encode(alloc, frame);
        frame.release();
        final int n = out.readableBytes();
        out.release();
        return n;
    }

    /** Issue 11: the pre-encoded header, one buffer. */
    @Benchmark
    public int template() {
        final int id = ++seqId;
        final ByteBuf out = alloc.ioBuffer(1280);
        final int start = template.write(out, true, 0, id, NO_CALLER_METHOD, 1000, -1,
                TTHeaderMeta.clientStrings(context.metainfo()));
        ThriftCodec.writeMessage(out, "Echo", ThriftMessageHeader.CALL, id, args);
        TTHeaderRequestTemplate.finish(out, start, true);
        final int n = out.readableBytes();
        out.release();
        return n;
    }

    /** What {@link TTHeaderMeta#clientWrite} reads of a call. */
    private record Context(Metainfo metainfo) implements CallContext {
        @Override
        public Side side() {
            return Side.CLIENT;
        }

        @Override
        public String callerService() {
            return "kitex4j.bench.client";
        }

        @Override
        public String callerMethod() {
            return "";
        }

        @Override
        public String calleeService() {
            return "kitex4j.bench.server";
        }

        @Override
        public String idlService() {
            return "EchoServer";
        }

        @Override
        public String method() {
            return "Echo";
        }

        @Override
        public Transport transport() {
            return Transport.TTHEADER_FRAMED;
        }

        @Override
        public boolean oneway() {
            return false;
        }

        @Override
        public Duration rpcTimeout() {
            return RPC_TIMEOUT;
        }

        @Override
        public long deadlineNanos() {
            return 0;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return null;
        }

        @Override
        public int attempt() {
            return 1;
        }

        @Override
        public void setMetainfo(Metainfo metainfo) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Map<String, String> backwardValues() {
            return Map.of();
        }

        @Override
        public void sendBackward(String key, String value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> T attribute(AttributeKey<T> key) {
            return null;
        }

        @Override
        public <T> void setAttribute(AttributeKey<T> key, T value) {
            throw new UnsupportedOperationException();
        }
    }
}
