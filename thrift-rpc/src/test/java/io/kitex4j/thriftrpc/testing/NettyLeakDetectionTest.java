package io.kitex4j.thriftrpc.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Proves the leak check can fail: a buffer leaked on purpose is reported. */
@ExtendWith(NettyLeakDetection.class)
class NettyLeakDetectionTest {

    @Test
    void aLeakedBufferIsReported() {
        leakOneBuffer();
        List<String> leaks = List.of();
        for (int i = 0; i < 20 && leaks.isEmpty(); i++) {
            leaks = NettyLeakDetection.collect();
        }
        // collect() forgot the report, so the extension's own check after this test passes.
        assertThat(leaks).hasSize(1);
        assertThat(leaks.get(0)).contains("LEAK:").contains("leakOneBuffer");
    }

    @Test
    void releasedBuffersAreNotReported() {
        final ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16).writeLong(1);
        buf.release();
        assertThat(NettyLeakDetection.collect()).isEmpty();
    }

    // A separate frame, so that the buffer is unreachable once it returns, and the report names it.
    private static void leakOneBuffer() {
        final ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        buf.writeLong(42);
        buf.touch("leaked on purpose");
    }
}
