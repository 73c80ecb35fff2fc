package io.kitex4j.thriftrpc.it;

import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.thriftrpc.server.KitexServer;
import io.kitex4j.thriftrpc.testing.InteropHandler;

/**
 * A kitex4j server in a JVM of its own, registered in etcd, for a test to {@code kill -9}: the
 * process dies with its listening socket and connections, and its etcd key stays until the lease
 * expires, as when a real server is killed. Prints {@code READY <port>} once registered.
 *
 * <p>Arguments: the etcd endpoint, the service name, the server name {@code callInfo} reports.
 */
public final class KillableServer {

    private KillableServer() {}

    public static void main(String[] args) throws Exception {
        final EtcdRegistry registry = EtcdRegistry.builder().etcd(EtcdClientConfig.of(args[0]))
                .env(name -> null).build();
        final KitexServer server = KitexServer.builder().address("127.0.0.1", 0)
                .service(InteropService.class, new InteropHandler(args[2]))
                .registry(registry, args[1]).shutdownHook(false).build().startBlocking();
        System.out.println("READY " + server.port());
        System.out.flush();
        // Until killed; stdin closing (the test JVM died) ends it too.
        while (System.in.read() >= 0) {
            // nothing to read
        }
        server.close();
        registry.close();
    }
}
