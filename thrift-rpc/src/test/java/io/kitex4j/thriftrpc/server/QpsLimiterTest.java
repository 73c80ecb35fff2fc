package io.kitex4j.thriftrpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Kitex's QPS limiter arithmetic (pkg/limiter/qps_limiter.go with WithLimit's 100 ms interval), on a controlled clock. */
class QpsLimiterTest {

    private final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(1));

    private int admitted(QpsLimiter l, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            if (l.acquire()) {
                n++;
            }
        }
        return n;
    }

    private void advanceMillis(long ms) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    @Test
    void startsWithOneIntervalsTokensAndFillsUpToTheLimit() {
        final QpsLimiter l = new QpsLimiter(100, now::get);
        assertThat(admitted(l, 50)).isEqualTo(10);
        advanceMillis(99);
        assertThat(l.acquire()).isFalse();
        advanceMillis(1);
        assertThat(admitted(l, 50)).isEqualTo(10);
        // Idle for a second and more: the bucket holds the limit, no more.
        advanceMillis(5_000);
        assertThat(admitted(l, 500)).isEqualTo(100);
        // Then limit/10 per 100 ms.
        advanceMillis(100);
        assertThat(admitted(l, 50)).isEqualTo(10);
    }

    @Test
    void aGoServerWithLimit10FreshlyStartedAdmits11IdleAdmits10() {
        // What Kitex v0.16.3 did here with -limit-qps 10: 11 sequential calls passed a second after start, 10 after
        // 1.5 s idle once drained.
        final QpsLimiter l = new QpsLimiter(10, now::get);
        advanceMillis(1_000);
        assertThat(admitted(l, 40)).isEqualTo(10);
        final QpsLimiter fresh = new QpsLimiter(10, now::get);
        advanceMillis(950);
        assertThat(admitted(fresh, 40)).isEqualTo(10);
    }

    @Test
    void updateCapsTheTokensAtTheNewOnceAndZeroTurnsItOff() {
        final QpsLimiter l = new QpsLimiter(1000, now::get);
        advanceMillis(2_000);
        l.update(50);
        assertThat(admitted(l, 100)).isEqualTo(5);
        l.update(0);
        assertThat(admitted(l, 100)).isEqualTo(100);
        l.update(20);
        advanceMillis(100);
        assertThat(admitted(l, 100)).isEqualTo(2);
    }

    @Test
    void underTenAdmitsNothingAsInKitex() {
        final QpsLimiter l = new QpsLimiter(5, now::get);
        advanceMillis(3_000);
        assertThat(admitted(l, 10)).isZero();
    }
}
