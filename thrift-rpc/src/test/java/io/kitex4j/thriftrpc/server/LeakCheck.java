package io.kitex4j.thriftrpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

/**
 * Fails the test class if Netty reported a leaked buffer while it ran. Netty reports a leak only when
 * a leaked buffer has been garbage collected and another buffer is allocated, so after the tests this
 * collects garbage and allocates a few times.
 */
final class LeakCheck implements BeforeAllCallback, AfterAllCallback {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @Override
    public void beforeAll(ExtensionContext context) {
        appender.start();
        ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).addAppender(appender);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(50);
                for (int j = 0; j < 100; j++) {
                    final ByteBuf b = PooledByteBufAllocator.DEFAULT.ioBuffer(64);
                    b.release();
                }
            }
            assertThat(appender.list).as("Netty leak reports")
                                     .noneMatch(e -> e.getFormattedMessage().contains("LEAK"));
        } finally {
            ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).detachAppender(appender);
        }
    }
}
