package io.kitex4j.thriftrpc.testing;

import java.util.List;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Captures what one logger (and its children) logs during each test. Use as an instance field:
 * {@code @RegisterExtension final LogCapture logs = LogCapture.of("io.kitex4j");}.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {

    private final String loggerName;
    private volatile ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(String loggerName) {
        this.loggerName = loggerName;
    }

    /** Captures the logger named {@code loggerName}. */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName);
    }

    /** Captures the logger of {@code type}. */
    public static LogCapture of(Class<?> type) {
        return new LogCapture(type.getName());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        appender = new ListAppender<>();
        appender.start();
        logger().addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        logger().detachAppender(appender);
    }

    /** What was logged so far in this test, in order. */
    public List<ILoggingEvent> events() {
        final ListAppender<ILoggingEvent> a = appender;
        // AppenderBase.doAppend holds the appender's lock while it adds.
        synchronized (a) {
            return List.copyOf(a.list);
        }
    }

    /** What was logged so far in this test at {@code level} or above. */
    public List<ILoggingEvent> atLeast(Level level) {
        return events().stream().filter(e -> e.getLevel().isGreaterOrEqual(level)).toList();
    }

    private Logger logger() {
        return (Logger) LoggerFactory.getLogger(loggerName);
    }
}
