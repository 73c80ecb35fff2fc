package com.example.echo;

import java.util.concurrent.CountDownLatch;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.EtcdRegistry;
import io.kitex4j.thriftrpc.server.KitexServer;

/**
 * Serves {@link EchoService} and registers it in etcd, where Go Kitex clients (registry-etcd) and kitex4j
 * clients find it.
 *
 * <pre>java com.example.echo.EchoServerMain http://127.0.0.1:2379 127.0.0.1 8888</pre>
 */
public final class EchoServerMain {

    /** The name the server registers under and clients look up. */
    public static final String SERVICE = "example.echo";

    /**
     * Starts the server on {@code host:port} (port 0 for a free one) and registers that address in etcd. Returns
     * when both are done.
     */
    public static KitexServer start(EtcdRegistry registry, String host, int port) {
        return KitexServer.builder()
                          // Binds host:port and registers that address. With .port(p) instead, it binds every
                          // interface and registers this host's address.
                          .address(host, port)
                          .service(EchoServer.class, new EchoService())
                          .registry(registry, SERVICE)
                          .build()
                          .startBlocking();
    }

    public static void main(String[] args) throws InterruptedException {
        final String etcd = args.length > 0 ? args[0] : "http://127.0.0.1:2379";
        final String host = args.length > 1 ? args[1] : "127.0.0.1";
        final int port = args.length > 2 ? Integer.parseInt(args[2]) : 8888;

        // Not closed: the server's shutdown hook deregisters it on SIGTERM or Ctrl-C, serves a few more seconds
        // for clients to notice, and drains the calls in flight.
        final EtcdRegistry registry = EtcdRegistry.builder().etcd(EtcdClientConfig.of(etcd)).build();
        final KitexServer server = start(registry, host, port);
        System.out.println("serving " + SERVICE + " at " + server.localAddress() + ", registered in " + etcd);
        new CountDownLatch(1).await();
    }

    private EchoServerMain() {}
}
