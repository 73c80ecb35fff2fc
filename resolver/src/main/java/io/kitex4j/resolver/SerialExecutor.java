package io.kitex4j.resolver;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a delegate executor that may have many
 * threads. Keeps each service's listener calls ordered whatever executor the user supplies.
 */
final class SerialExecutor implements Executor {

    private static final Logger logger = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor delegate;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean running; // guarded by queue

    SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (queue) {
            queue.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        try {
            delegate.execute(this::drain);
        } catch (RuntimeException e) {
            // The delegate was shut down: nothing will run any more, so drop the queue.
            synchronized (queue) {
                queue.clear();
                running = false;
            }
            logger.debug("Listener executor rejected a task; dropping it", e);
        }
    }

    private void drain() {
        while (true) {
            final Runnable next;
            synchronized (queue) {
                next = queue.poll();
                if (next == null) {
                    running = false;
                    return;
                }
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                logger.warn("Unexpected exception in a resolver callback", e);
            }
        }
    }
}
