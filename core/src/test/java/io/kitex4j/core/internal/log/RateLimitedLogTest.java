package io.kitex4j.core.internal.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class RateLimitedLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger("RateLimitedLogTest." + System.nanoTime());
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @BeforeEach
    void attach() {
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        logger.setAdditive(false);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
    }

    @Test
    void aFloodCostsACounterNotALinePerEvent() {
        final RateLimitedLog log = new RateLimitedLog(logger, Level.WARN, "bad_frame", TimeUnit.HOURS.toNanos(1), 3);
        for (int i = 0; i < 10_000; i++) {
            log.log("bad frame from {}", "peer" + i);
        }
        assertThat(log.count()).isEqualTo(10_000);
        assertThat(appender.list).hasSize(3);
        assertThat(appender.list.get(0).getFormattedMessage()).isEqualTo("bad frame from peer0");
        assertThat(appender.list.get(0).getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
    }

    @Test
    void theFirstLineOfAPeriodHasTheStackTraceTheOthersOnlyTheException() {
        final RateLimitedLog log = new RateLimitedLog(logger, Level.WARN, "handler_failed", TimeUnit.HOURS.toNanos(1), 5);
        final NullPointerException npe = new NullPointerException("boom");
        for (int i = 0; i < 100; i++) {
            log.log("handler {} failed", "m", npe);
        }
        assertThat(appender.list).hasSize(5);
        assertThat(appender.list.get(0).getThrowableProxy()).isNotNull();
        assertThat(appender.list.subList(1, 5)).allSatisfy(e -> {
            assertThat(e.getThrowableProxy()).isNull();
            assertThat(e.getFormattedMessage()).isEqualTo("handler m failed: java.lang.NullPointerException: boom");
        });
    }

    @Test
    void aNewPeriodLogsAgainAndSaysHowManyWereLeftOut() throws InterruptedException {
        final long period = TimeUnit.MILLISECONDS.toNanos(50);
        final RateLimitedLog log = new RateLimitedLog(logger, Level.WARN, "bad_frame", period, 1);
        for (int i = 0; i < 7; i++) {
            log.log("bad frame");
        }
        final long start = System.nanoTime();
        while (System.nanoTime() - start < period * 2) {
            Thread.onSpinWait();
        }
        log.log("bad frame", new IllegalStateException("x"));
        assertThat(appender.list).hasSize(2);
        assertThat(appender.list.get(1).getFormattedMessage()).isEqualTo("bad frame [6 more 'bad_frame' events not logged]");
        assertThat(appender.list.get(1).getThrowableProxy()).isNotNull();
        assertThat(log.count()).isEqualTo(8);
    }

    @Test
    void invalidArgumentsSayWhatIsExpected() {
        assertThatThrownBy(() -> new RateLimitedLog(logger, Level.WARN, "k", 0, 1))
                .hasMessage("periodNanos: 0 (expected: > 0)");
        assertThatThrownBy(() -> new RateLimitedLog(logger, Level.WARN, "k", 1, 0))
                .hasMessage("burst: 0 (expected: >= 1)");
    }
}
