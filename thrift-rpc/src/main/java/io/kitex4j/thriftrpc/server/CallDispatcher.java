package io.kitex4j.thriftrpc.server;

import io.kitex4j.thriftrpc.internal.transmeta.TTHeaderMeta;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import io.kitex4j.core.middleware.Endpoint;
import io.kitex4j.core.middleware.Middleware;

/**
 * What all connections of one server share: the router, the handler executor, the options, and
 * the set of open connections for shutdown. Thread-safe.
 */
final class CallDispatcher {

    private final ServiceRouter router;
    private final String serviceName;
    // null without middleware: calls then take the direct path, with no endpoint and no future.
    private final Endpoint endpoint;
    // Exactly one of the two: the default lanes, or an executor (a user's, or directExecutor()).
    private final Executor executor;
    private final HandlerLanes lanes;
    private final boolean enforceDeadline;
    private final boolean interruptOnDeadline;
    private final TTHeaderMeta.ServerHandler metaHandler;
    private final int maxNestingDepth;
    private final ServerRejections rejections;
    private final Set<ServerConnectionHandler> connections = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> allClosed = new CompletableFuture<>();

    // Set when the server starts to stop: responses over TTHeader then carry crrst=1, like Kitex's
    // svrTransHandler.inGracefulShutdown (pkg/remote/trans/default_server_handler.go).
    private volatile boolean connectionReset;
    // Set once the listener is closed: connections finish the requests they have read and close.
    private volatile boolean draining;

    CallDispatcher(ServerConfig config, Executor executor, HandlerLanes lanes, ServerRejections rejections) {
        router = config.router();
        serviceName = config.serviceName();
        endpoint = config.middlewares().isEmpty() ? null
                   : Middleware.chain(config.middlewares(), ServerCall.HANDLER_ENDPOINT);
        this.executor = executor;
        this.lanes = lanes;
        interruptOnDeadline = config.interruptOnDeadline();
        enforceDeadline = config.enforceDeadline() || interruptOnDeadline;
        metaHandler = TTHeaderMeta.ServerHandler.of(config.ttheaderServerMeta());
        maxNestingDepth = config.maxNestingDepth();
        this.rejections = rejections;
    }

    /** This server's service name (the callee service of every call); may be empty. */
    String serviceName() {
        return serviceName;
    }

    /** The middleware chain around {@link ServerCall#HANDLER_ENDPOINT}, or {@code null} without middleware. */
    Endpoint endpoint() {
        return endpoint;
    }

    int maxNestingDepth() {
        return maxNestingDepth;
    }

    ServerRejections rejections() {
        return rejections;
    }

    ServiceRouter router() {
        return router;
    }

    Executor executor() {
        return executor;
    }

    /** The default handler lanes, or {@code null} when the server has an executor. */
    HandlerLanes lanes() {
        return lanes;
    }

    boolean enforceDeadline() {
        return enforceDeadline;
    }

    boolean interruptOnDeadline() {
        return interruptOnDeadline;
    }

    /** Which of Kitex's server meta handlers writes the response TTHeader. */
    TTHeaderMeta.ServerHandler metaHandler() {
        return metaHandler;
    }

    boolean connectionReset() {
        return connectionReset;
    }

    void startConnectionReset() {
        connectionReset = true;
    }

    boolean draining() {
        return draining;
    }

    int connectionCount() {
        return connections.size();
    }

    /** Returns false if the server is already draining; the caller then closes the connection. */
    boolean connectionOpened(ServerConnectionHandler c) {
        connections.add(c);
        if (draining) {
            connections.remove(c);
            checkAllClosed();
            return false;
        }
        return true;
    }

    void connectionClosed(ServerConnectionHandler c) {
        connections.remove(c);
        checkAllClosed();
    }

    /**
     * Asks every connection to finish the requests it has already read, then close. The future
     * completes when all connections are closed.
     */
    CompletableFuture<Void> drain() {
        draining = true;
        for (ServerConnectionHandler c : connections) {
            c.drainAndClose();
        }
        checkAllClosed();
        return allClosed;
    }

    /** Closes every connection now. */
    void closeAll() {
        for (ServerConnectionHandler c : connections) {
            c.forceClose();
        }
    }

    private void checkAllClosed() {
        if (draining && connections.isEmpty()) {
            allClosed.complete(null);
        }
    }
}
