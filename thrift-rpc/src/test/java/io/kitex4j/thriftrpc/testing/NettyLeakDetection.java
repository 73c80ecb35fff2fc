package io.kitex4j.thriftrpc.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test when Netty reports a leaked buffer during or right after it.
 *
 * <p>Netty's {@link ResourceLeakDetector} (PARANOID in this module's tests: the pom sets
 * {@code io.netty.leakDetection.level}) notices a leak only when the leaked buffer has been garbage
 * collected and a later allocation polls its reference queue, and it reports it by logging
 * {@code "LEAK: ..."} at ERROR. This extension captures those log events with an appender on Netty's
 * logger; after each test it runs the GC and allocates a few tracked buffers (to make the detector poll),
 * then fails the test if anything was reported. The whole suite runs in one JVM, so a leak is blamed on
 * the test after which it is found, which is the test that caused it as long as every test class uses
 * this extension.
 *
 * <p>Use with {@code @ExtendWith(NettyLeakDetection.class)}.
 */
public final class NettyLeakDetection implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private static final List<String> REPORTS = new ArrayList<>();
    // The last test checked, to name it when its leak is only found later.
    private static volatile String lastTest = "(none)";

    static {
        final Logger logger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        if (logger.getLevel() == null || logger.getLevel().isGreaterOrEqual(Level.WARN)) {
            logger.setLevel(Level.ERROR);
        }
        final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                final String message = event.getFormattedMessage();
                if (message != null && message.contains("LEAK:")) {
                    synchronized (REPORTS) {
                        REPORTS.add(message);
                    }
                }
            }
        };
        appender.setName("kitex4j-leak-capture");
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            // Running from an IDE without the pom's system property: still detect every leak.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        // A buffer still referenced by the previous test's instance (a field) cannot be collected during
        // that test's afterEach; JUnit drops the instance only afterwards, so such a leak shows up here.
        check("before " + name(context) + ", from an earlier test (probably " + lastTest + ")");
    }

    @Override
    public void afterEach(ExtensionContext context) {
        lastTest = name(context);
        check("after " + lastTest);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check("after all tests of " + context.getDisplayName() + " (probably " + lastTest + ")");
    }

    private static void check(String when) {
        final List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) reported " + when + ":\n"
                                     + String.join("\n\n", leaks));
        }
    }

    private static String name(ExtensionContext context) {
        final String method = context.getTestMethod().map(m -> m.getName()).orElse("");
        final String display = context.getDisplayName();
        return context.getRequiredTestClass().getSimpleName() + '.' + method
               + (display.startsWith(method) ? "" : ' ' + display);
    }

    /**
     * Runs the GC, makes the leak detector poll, and returns (and forgets) every leak reported so far.
     */
    public static List<String> collect() {
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                // The reference handler thread enqueues collected references asynchronously.
                Thread.sleep(15);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            // Each tracked allocation polls the detector's queue and reports what it finds.
            for (int j = 0; j < 8; j++) {
                final ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(8);
                final ByteBuf b = UnpooledByteBufAllocator.DEFAULT.directBuffer(8);
                final ByteBuf c = PooledByteBufAllocator.DEFAULT.compositeBuffer();
                a.release();
                b.release();
                c.release();
            }
        }
        synchronized (REPORTS) {
            final List<String> out = new ArrayList<>(REPORTS);
            REPORTS.clear();
            return out;
        }
    }
}
