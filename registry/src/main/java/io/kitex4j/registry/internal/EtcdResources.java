package io.kitex4j.registry.internal;

import static java.util.Objects.requireNonNull;

import io.etcd.jetcd.Client;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdConnection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an {@link EtcdConnection} owns: one jetcd client, one scheduler thread for every registry's
 * and resolver's bookkeeping, and one thread for resolver listeners; and the registries and
 * resolvers that use them, which closing the connection closes first.
 *
 * <p>Registries and resolvers get it from their connection with {@link #of(EtcdConnection)}.
 */
public final class EtcdResources {

    private static final Logger logger = LoggerFactory.getLogger(EtcdResources.class);
    private static final AtomicInteger IDS = new AtomicInteger();

    private static volatile Function<EtcdConnection, EtcdResources> access;

    private final EtcdClientConfig config;
    private final Client client;
    private final String description;
    private final String threadName;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ExecutorService listenerExecutor;
    private volatile Thread schedulerThread;
    private final Object lock = new Object();
    private final List<AutoCloseable> users = new ArrayList<>(); // guarded by lock
    private boolean closed; // guarded by lock
    private volatile boolean closing;

    /** Opens the jetcd client (which connects lazily) and prepares the threads (started on first use). */
    public EtcdResources(EtcdClientConfig config) {
        this.config = requireNonNull(config, "config");
        this.description = config.endpoints().stream().map(Object::toString).toList().toString();
        this.threadName = "kitex4j-etcd-" + IDS.incrementAndGet();
        this.client = config.newClient();
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            final Thread t = daemon(threadName).newThread(r);
            schedulerThread = t;
            return t;
        });
        // Cancelled timers are frequent (one per resolver sync); do not let them pile up in the queue.
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.listenerExecutor = Executors.newSingleThreadExecutor(daemon(threadName + "-listeners"));
    }

    /** Called once, by {@link EtcdConnection}'s class initialisation. */
    public static void setAccess(Function<EtcdConnection, EtcdResources> access) {
        requireNonNull(access, "access");
        synchronized (EtcdResources.class) {
            if (EtcdResources.access != null) {
                throw new IllegalStateException("access is already set");
            }
            EtcdResources.access = access;
        }
    }

    /** The resources of {@code connection}. */
    public static EtcdResources of(EtcdConnection connection) {
        requireNonNull(connection, "connection");
        // An instance exists, so its class is initialised and has set the access.
        return access.apply(connection);
    }

    /** How etcd is reached. */
    public EtcdClientConfig config() {
        return config;
    }

    /** The one jetcd client. */
    public Client client() {
        return client;
    }

    /** The endpoints, for messages: {@code [http://10.0.0.1:2379]}. */
    public String description() {
        return description;
    }

    /** The default listener executor of resolvers on this connection (one daemon thread). */
    public Executor listenerExecutor() {
        return listenerExecutor;
    }

    /** Whether the caller runs on the scheduler thread, where waiting for the scheduler deadlocks. */
    public boolean inSchedulerThread() {
        return Thread.currentThread() == schedulerThread;
    }

    /** A new share of the scheduler thread for one registry or resolver. */
    public TaskScope newScope(String owner) {
        return new TaskScope(scheduler, owner);
    }

    /**
     * Records a registry or resolver, to be closed when the connection closes.
     *
     * @throws IllegalStateException if the connection is closed
     */
    public void attach(AutoCloseable user) {
        requireNonNull(user, "user");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the etcd connection to " + description + " is closed");
            }
            users.add(user);
        }
    }

    /** Forgets a registry or resolver that closed by itself. */
    public void detach(AutoCloseable user) {
        synchronized (lock) {
            users.remove(user);
        }
    }

    /** Whether {@link #close()} has started. */
    public boolean isClosed() {
        return closing;
    }


    /**
     * Closes every registry and resolver still on the connection (last attached first: a
     * registry deregisters, a resolver stops its watches), then the jetcd client and the threads.
     * Idempotent. Called on the scheduler thread (from a listener), it does that on a new thread,
     * since closing registries waits for the scheduler.
     */
    public void close() {
        final List<AutoCloseable> toClose;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            closing = true;
            toClose = new ArrayList<>(users);
            users.clear();
        }
        if (inSchedulerThread()) {
            final Thread t = new Thread(() -> closeAll(toClose), threadName + "-close");
            t.setDaemon(true);
            t.start();
            return;
        }
        closeAll(toClose);
    }

    private void closeAll(List<AutoCloseable> toClose) {
        Collections.reverse(toClose);
        for (AutoCloseable user : toClose) {
            try {
                user.close();
            } catch (Exception e) {
                logger.warn("closing {} failed", user, e);
            }
        }
        client.close();
        scheduler.shutdownNow();
        listenerExecutor.shutdown();
    }

    @Override
    public String toString() {
        return "EtcdResources{" + description + (closing ? ", closed" : "") + '}';
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            final Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
