package io.kitex4j.thriftrpc.server;

/**
 * The life-cycle state of a {@link KitexServer}. A server goes through the states in order, once:
 * it cannot be restarted after {@link #STOPPED}.
 */
public enum ServerState {
    /** Built, {@link KitexServer#start()} not called yet. */
    CREATED,
    /** Binding the port and, with a registry, registering. */
    STARTING,
    /** Serving. */
    STARTED,
    /** {@link KitexServer#stop()} was called: deregistering, waiting, draining. */
    STOPPING,
    /** Stopped, or failed to start. All threads the server created are gone or going. */
    STOPPED
}
