package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.thriftrpc.internal.codec.KitexEncodeException;
import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.thriftrpc.internal.transmeta.TTHeaderMeta;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.thrift.TBase;
import org.junit.jupiter.api.Test;

/**
 * {@link RequestEncoder} (pre-encoded TTHeader, one buffer) writes the very bytes of the reference path:
 * {@link TTHeaderMeta#clientWrite} into a {@link TTHeader}, then {@link KitexFrameEncoder}.
 */
class RequestEncoderTest {

    private static final String LONG = "x".repeat(300);

    private static List<Metainfo> metainfos() {
        return List.of(
                Metainfo.empty(),
                Metainfo.empty().withTransient("k", "v"),
                Metainfo.empty().withPersistent("p", "q"),
                Metainfo.empty().withTransient("a", "1").withTransient("b", "").withPersistent("c", "3")
                        .withPersistent("d", LONG),
                Metainfo.empty().withTransient("gdpr-token", "tok"),
                Metainfo.empty().withTransient("gdpr-token", "tok").withTransient("t", "ü€"),
                Metainfo.fromHeaderStrings(Map.of("RPC_TRANSIT_up", "u", "RPC_PERSIST_x", "y")));
    }

    @Test
    void sameBytesAsTheReferencePath() {
        int cases = 0;
        for (ByteBufAllocator alloc : List.of(PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT)) {
            for (Transport transport : Transport.values()) {
                for (String method : List.of("echoString", "ünïcode", LONG)) {
                    for (boolean oneway : new boolean[] {false, true}) {
                        for (String idl : List.of("", "InteropService")) {
                            for (String from : List.of("", "caller.svc")) {
                                final RequestEncoder encoder =
                                        new RequestEncoder(transport, from, "callee", method, oneway, idl);
                                for (Metainfo mi : metainfos()) {
                                    for (String callerMethod : List.of("", "Serving")) {
                                        for (Duration rpc : new Duration[] {null, Duration.ofMillis(1),
                                                Duration.ofMillis(123456789012L)}) {
                                            for (int connect : new int[] {0, alloc == PooledByteBufAllocator.DEFAULT ? 50 : 2_000_000_000}) {
                                                for (boolean mux : new boolean[] {false, true}) {
                                                    final int seqId = cases * 7919 - 1000;
                                                    compare(alloc, encoder, transport, from, method, oneway, idl,
                                                            mi, callerMethod, rpc, connect, mux, seqId);
                                                    cases++;
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(cases).isGreaterThan(5_000);
    }

    @Test
    void payloadsOfAnySizeFitTheirFrame() {
        final RequestEncoder encoder = new RequestEncoder(Transport.TTHEADER_FRAMED, "a", "callee", "echoString", false, "");
        for (int size : new int[] {0, 1, 100, 5000, 70_000, 10}) {
            compare(PooledByteBufAllocator.DEFAULT, encoder, Transport.TTHEADER_FRAMED, "a", "echoString", false,
                    "", Metainfo.empty(), "", null, 0, false, size, "y".repeat(size));
        }
    }

    @Test
    void refusesWhatTheReferencePathRefuses() {
        final RequestEncoder encoder = new RequestEncoder(Transport.TTHEADER, "", "callee", "m", false, "");
        final Metainfo tooLong = Metainfo.empty().withTransient("k", "v".repeat(70_000));
        assertThatThrownBy(() -> encoder.encode(PooledByteBufAllocator.DEFAULT, 1, false, "", -1, 0, tooLong,
                new InteropService.echoString_args("hi")))
                .isInstanceOf(KitexEncodeException.class).hasMessageContaining("exceeds the 65535-byte limit");
        Metainfo tooMuch = Metainfo.empty();
        for (int i = 0; i < 20; i++) {
            tooMuch = tooMuch.withTransient("k" + i, "v".repeat(4000));
        }
        final Metainfo big = tooMuch;
        assertThatThrownBy(() -> encoder.encode(PooledByteBufAllocator.DEFAULT, 1, false, "", -1, 0, big,
                new InteropService.echoString_args("hi")))
                .isInstanceOf(KitexEncodeException.class).hasMessageContaining("would be refused by Kitex before v0.16");
    }

    private static void compare(ByteBufAllocator alloc, RequestEncoder encoder, Transport transport, String from,
                                String method, boolean oneway, String idl, Metainfo mi, String callerMethod,
                                Duration rpc, int connect, boolean mux, int seqId) {
        compare(alloc, encoder, transport, from, method, oneway, idl, mi, callerMethod, rpc, connect, mux, seqId,
                "hello");
    }

    private static void compare(ByteBufAllocator alloc, RequestEncoder encoder, Transport transport, String from,
                                String method, boolean oneway, String idl, Metainfo mi, String callerMethod,
                                Duration rpc, int connect, boolean mux, int seqId, String value) {
        final TBase<?, ?> args = new InteropService.echoString_args(value);
        final ByteBuf actual = encoder.encode(alloc, seqId, mux, callerMethod, rpc == null ? -1 : rpc.toMillis(),
                connect, mi, args);
        final byte type = oneway ? ThriftMessageHeader.ONEWAY : ThriftMessageHeader.CALL;
        TTHeader header = null;
        if (transport.hasTTHeader()) {
            final TTHeader.Builder b = TTHeader.builder().seqId(seqId).flags(mux ? TTHeader.FLAG_SUPPORT_OUT_OF_ORDER : 0);
            TTHeaderMeta.clientWrite(new Context(transport, from, callerMethod, method, oneway, idl, rpc, mi), type,
                    connect, b);
            header = b.build();
        }
        final KitexFrame frame = new KitexFrame(transport, header,
                ThriftCodec.encodeMessage(alloc, method, type, seqId, args));
        final ByteBuf expected = KitexFrameEncoder.encode(alloc, frame);
        frame.release();
        try {
            assertThat(ByteBufUtil.getBytes(actual))
                    .as("%s %s oneway=%s idl=%s from=%s %s callerMethod=%s rpc=%s connect=%d mux=%s", transport,
                            method.length() > 20 ? method.length() + " chars" : method, oneway, idl, from, mi,
                            callerMethod, rpc, connect, mux)
                    .isEqualTo(ByteBufUtil.getBytes(expected));
        } finally {
            actual.release();
            expected.release();
        }
    }

    /** What {@link TTHeaderMeta#clientWrite} reads of a call. */
    private record Context(Transport transport, String callerService, String callerMethod, String method,
                           boolean oneway, String idlService, Duration rpcTimeout, Metainfo metainfo)
            implements CallContext {
        @Override
        public Side side() {
            return Side.CLIENT;
        }

        @Override
        public String calleeService() {
            return "callee";
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
