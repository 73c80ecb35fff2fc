package io.kitex4j.benchmarks;

import io.kitex4j.thriftrpc.internal.transmeta.MetainfoHeaders;
import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The metainfo work of one call, single-threaded, with what a Kitex client with metainfo sends: one
 * transient ({@code RPC_TRANSIT_request-id}) and one persistent ({@code RPC_PERSIST_tenant}) value,
 * next to {@code isn}.
 *
 * <ul>
 * <li>{@code serverReceive}: what a server does per request: {@link Metainfo#fromRequest} on the decoded
 * header, then {@link Metainfo#forNextHop()} (Kitex's TransferForward).</li>
 * <li>{@code attachAndClose}: making it current around the handler ({@link Metainfo#attach()} and the
 * scope's close).</li>
 * <li>{@code clientSend}: what a client adds to its request header: {@link Metainfo#writeTo} into a
 * {@link TTHeader.Builder} that already holds the seven integer keys a Kitex client writes, then
 * {@code build()}.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class MetainfoBenchmark {

    private TTHeader requestHeader;
    private Metainfo received;
    private Metainfo outgoing;

    @Setup(Level.Trial)
    public void setUp() {
        requestHeader = TTHeader.builder()
                .string(MetaKeys.ISN, "EchoServer")
                .string(MetaKeys.TRANSIT_PREFIX + "request-id", "7f3c0a9e-42")
                .string(MetaKeys.PERSIST_PREFIX + "tenant", "benchmark")
                .intValue(MetaKeys.FROM_SERVICE, "kitex4j.bench.client")
                .build();
        received = MetainfoHeaders.fromRequest(requestHeader).forNextHop();
        outgoing = Metainfo.empty().withTransient("request-id", "7f3c0a9e-42").withPersistent("tenant", "benchmark");
    }

    @Benchmark
    public Metainfo serverReceive() {
        return MetainfoHeaders.fromRequest(requestHeader).forNextHop();
    }

    @Benchmark
    public Metainfo attachAndClose() {
        try (Metainfo.Scope ignored = received.attach()) {
            return Metainfo.current();
        }
    }

    @Benchmark
    public TTHeader clientSend() {
        final TTHeader.Builder b = TTHeader.builder()
                .seqId(1)
                .intValue(MetaKeys.TRANSPORT_TYPE, "framed")
                .intValue(MetaKeys.FROM_SERVICE, "kitex4j.bench.client")
                .intValue(MetaKeys.FROM_METHOD, "")
                .intValue(MetaKeys.TO_SERVICE, "echo")
                .intValue(MetaKeys.TO_METHOD, "Echo")
                .intValue(MetaKeys.MSG_TYPE, "1")
                .intValue(MetaKeys.RPC_TIMEOUT, "1000");
        MetainfoHeaders.write(outgoing, b);
        return b.string(MetaKeys.ISN, "EchoServer").build();
    }
}
