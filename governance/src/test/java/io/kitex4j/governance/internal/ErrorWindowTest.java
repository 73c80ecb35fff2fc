package io.kitex4j.governance.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ErrorWindowTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ErrorWindow window = new ErrorWindow(100, 10, now::get);

    @Test
    void countsAndRate() {
        window.success();
        window.failure();
        window.timeout();
        window.timeout();
        assertThat(window.samples()).isEqualTo(4);
        assertThat(window.errorRate()).isEqualTo(0.75);
        assertThat(window.consecutiveErrors()).isEqualTo(3);
        window.success();
        assertThat(window.consecutiveErrors()).isZero();
    }

    @Test
    void bucketsLeaveTheWindow() {
        window.failure();                 // bucket 0
        now.addAndGet(500);
        window.success();                 // bucket 5
        assertThat(window.samples()).isEqualTo(2);
        now.addAndGet(500);               // the first bucket is now 10 buckets old: gone
        assertThat(window.samples()).isEqualTo(1);
        assertThat(window.errorRate()).isZero();
        now.addAndGet(10_000);            // far past: everything gone
        assertThat(window.samples()).isZero();
        window.timeout();
        assertThat(window.timeouts()).isEqualTo(1);
        assertThat(window.failures()).isZero();
    }
}
