package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.buf;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.concat;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.framed;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.hex;
import static io.kitex4j.thriftrpc.internal.codec.TestBytes.ttheader;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

/** {@link KitexFrameDecoder#pauseDecoding()} and {@link KitexFrameDecoder#resumeDecoding()}: the server's in-flight limit. */
@ExtendWith(NettyLeakDetection.class)
class KitexFrameDecoderPauseTest {

    private static final byte[] INFO = hex("00 00 | 01 00 01 00 03 'isn' 00 0b 'EchoService' | 00 00 00 00 00");

    private final KitexFrameDecoder decoder = new KitexFrameDecoder();
    private final List<KitexFrame> frames = new ArrayList<>();
    // Pauses the decoder when it has received this many frames, as the server's connection handler does.
    private int pauseAt = 1;
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.add((KitexFrame) msg);
            if (frames.size() == pauseAt) {
                decoder.pauseDecoding();
            }
        }
    });

    @AfterEach
    void release() {
        frames.forEach(KitexFrame::release);
        channel.finishAndReleaseAll();
    }

    private static byte[] wire(Transport transport, int seqId) {
        final byte[] message = Samples.echoStringCall(seqId, "m" + seqId);
        return switch (transport) {
            case BUFFERED -> message;
            case FRAMED -> framed(message);
            case TTHEADER -> ttheader(0, seqId, INFO, message);
            case TTHEADER_FRAMED -> ttheader(0, seqId, INFO, framed(message));
        };
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void framesReceivedWhilePausedWaitUntilResumed(Transport transport) {
        final byte[] second = wire(transport, 2);
        final byte[] third = wire(transport, 3);
        // Three messages in one read: the handler pauses after the first, so the loop stops there.
        channel.writeInbound(buf(concat(wire(transport, 1), second, third)));
        assertThat(frames).hasSize(1);
        assertThat(decoder.bufferedBytes()).isEqualTo(second.length + third.length);
        // More bytes while paused are kept too.
        final byte[] fourth = wire(transport, 4);
        channel.writeInbound(buf(fourth));
        channel.runPendingTasks();
        assertThat(frames).hasSize(1);

        decoder.resumeDecoding();
        assertThat(frames).as("resumed in a later task, not inside the caller").hasSize(1);
        channel.runPendingTasks();
        assertThat(frames).extracting(f -> f.messageHeader().seqId()).containsExactly(1, 2, 3, 4);
        assertThat(frames).extracting(KitexFrame::transport).containsOnly(transport);
        assertThat(decoder.bufferedBytes()).isZero();
    }

    @Test
    void bufferedBytesIsTheStartOfAnIncompleteFrame() {
        pauseAt = 0;
        final byte[] one = wire(Transport.FRAMED, 1);
        final byte[] two = wire(Transport.FRAMED, 2);
        channel.writeInbound(buf(concat(one, java.util.Arrays.copyOf(two, 5))));
        assertThat(frames).hasSize(1);
        assertThat(decoder.bufferedBytes()).isEqualTo(5);
        channel.writeInbound(buf(java.util.Arrays.copyOfRange(two, 5, two.length)));
        assertThat(frames).hasSize(2);
        assertThat(decoder.bufferedBytes()).isZero();
    }

    @Test
    void aConnectionClosedWhilePausedDropsTheHeldFramesWithoutReportingATruncation() {
        channel.writeInbound(buf(concat(wire(Transport.FRAMED, 1), wire(Transport.FRAMED, 2))));
        assertThat(frames).hasSize(1);
        // Without the pause this would raise "connection closed in the middle of a message" or emit
        // frames nobody asked for.
        assertThat(channel.finish()).isFalse();
        assertThat(frames).hasSize(1);
    }
}
