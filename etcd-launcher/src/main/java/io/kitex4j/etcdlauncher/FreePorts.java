package io.kitex4j.etcdlauncher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Picks free TCP ports on the loopback interface.
 *
 * <p>A probed port is only free at the moment of probing: something else may bind it before etcd does. The
 * caller copes with that by retrying (see {@code EtcdCluster}); this class only makes sure that one JVM never
 * hands out the same port twice, because the kernel happily returns a just-closed port again.
 */
final class FreePorts {

    private static final int MAX_PROBES_PER_PORT = 100;

    private static final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();

    /**
     * Returns {@code count} distinct ports that were free a moment ago and never returned before by this JVM.
     */
    static int[] allocate(int count) {
        final List<ServerSocket> held = new ArrayList<>(count);
        try {
            final int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ports[i] = probeUnusedPort(held);
            }
            return ports;
        } finally {
            // Keep all sockets open until every port is chosen, so the kernel cannot hand the same one twice.
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // Nothing useful to do: the port is closed either way.
                }
            }
        }
    }

    private static int probeUnusedPort(List<ServerSocket> held) {
        for (int attempt = 0; attempt < MAX_PROBES_PER_PORT; attempt++) {
            final ServerSocket socket;
            try {
                socket = new ServerSocket();
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot bind a probe socket on the loopback interface", e);
            }
            held.add(socket);
            if (handedOut.add(socket.getLocalPort())) {
                return socket.getLocalPort();
            }
        }
        throw new IllegalStateException("Could not find an unused loopback port after "
                                        + MAX_PROBES_PER_PORT + " attempts");
    }

    private FreePorts() {}
}
