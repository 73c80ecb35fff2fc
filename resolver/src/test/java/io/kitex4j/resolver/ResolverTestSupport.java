package io.kitex4j.resolver;

import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.ServiceWatch;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import io.kitex4j.core.discovery.Instance;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Helpers shared by the resolver tests: raw etcd writes, a recording listener, log capture. */
final class ResolverTestSupport {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private ResolverTestSupport() {}

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** Puts a raw value, as a Go server (or anything else) would have written it; returns the revision. */
    static long put(Client client, String key, String value) throws Exception {
        return client.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    /**
     * Puts until etcd accepts it: jetcd does not retry a put (it is not idempotent), and right after
     * a leader is lost etcd answers "request timed out" until a new leader is elected.
     */
    static long putRetrying(Client client, String key, String value, Duration within) throws Exception {
        final java.util.concurrent.atomic.AtomicLong revision = new java.util.concurrent.atomic.AtomicLong();
        org.awaitility.Awaitility.await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                // A short attempt: a request stuck on the dead leader would otherwise take etcd's
                // whole request timeout (about 7 s) to fail.
                .untilAsserted(() -> revision.set(client.getKVClient().put(bytes(key), bytes(value))
                        .get(1, TimeUnit.SECONDS).getHeader().getRevision()));
        return revision.get();
    }

    static long delete(Client client, String key) throws Exception {
        return client.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    }

    static void deletePrefix(Client client, String prefix) throws Exception {
        client.getKVClient().delete(bytes(prefix), DeleteOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS);
    }

    /** A value exactly as Go's registry-etcd writes it (encoding/json, struct order). */
    static String goValue(String address, int weight) {
        return "{\"network\":\"tcp\",\"address\":\"" + address + "\",\"weight\":" + weight + ",\"tags\":null}";
    }

    static List<String> addresses(List<Instance> instances) {
        return instances.stream().map(Instance::address).collect(Collectors.toList());
    }

    static List<String> addresses(ResolvedInstances view) {
        return addresses(view.instances());
    }

    static ResolvedInstances firstSync(ServiceWatch watch) throws Exception {
        return watch.firstSync().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A listener that records each update with the time it arrived. */
    static final class RecordingListener implements ResolverListener {
        record Received(ResolverUpdate update, long nanos) {}

        final BlockingQueue<Received> queue = new LinkedBlockingQueue<>();

        @Override
        public void onUpdate(ResolverUpdate update) {
            queue.add(new Received(update, System.nanoTime()));
        }

        /** The next update, failing the test if none arrives in time. */
        Received next() throws InterruptedException {
            final Received r = queue.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(r).as("an update within %s", TIMEOUT).isNotNull();
            return r;
        }

        /** Skips updates until one matches, failing the test if none arrives in time. */
        Received await(Predicate<ResolverUpdate> condition) throws InterruptedException {
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (true) {
                final long left = deadline - System.nanoTime();
                final Received r = queue.poll(Math.max(left, 0), TimeUnit.NANOSECONDS);
                assertThat(r).as("a matching update within %s", TIMEOUT).isNotNull();
                if (condition.test(r.update())) {
                    return r;
                }
            }
        }

        void assertNothingWithin(Duration d) throws InterruptedException {
            final Received r = queue.poll(d.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(r).as("no update").isNull();
        }
    }

    /** Captures what the resolver logs. */
    static final class LogCapture implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger(EtcdResolver.class);
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        LogCapture() {
            appender.start();
            logger.addAppender(appender);
        }

        List<String> messages(Level level) {
            synchronized (appender) { // AppenderBase.doAppend locks the appender
                return appender.list.stream()
                        .filter(e -> e.getLevel() == level)
                        .map(ILoggingEvent::getFormattedMessage)
                        .collect(Collectors.toList());
            }
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
            appender.stop();
        }
    }
}
