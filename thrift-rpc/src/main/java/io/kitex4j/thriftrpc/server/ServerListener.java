package io.kitex4j.thriftrpc.server;

/**
 * Observes the life cycle of a {@link KitexServer}. All methods have empty defaults.
 *
 * <p>Methods are called on the thread that makes the transition (the caller of
 * {@link KitexServer#start()}, a Netty or registry thread for the end of start-up, the stopping
 * thread for shutdown). An exception thrown by a listener is logged and otherwise ignored, so a
 * broken listener cannot stop the server from starting or stopping.
 */
public interface ServerListener {

    /** Called when {@link KitexServer#start()} begins, before the port is bound. */
    default void serverStarting(KitexServer server) {}

    /**
     * Called once the port is bound and, with a registry, the service is registered (or the
     * registration failed and {@link KitexServerBuilder#requireRegistration(boolean)} is off).
     */
    default void serverStarted(KitexServer server) {}

    /** Called when the server begins to stop, before it deregisters. */
    default void serverStopping(KitexServer server) {}

    /** Called when the server has stopped: connections closed, event loops shut down. */
    default void serverStopped(KitexServer server) {}
}
