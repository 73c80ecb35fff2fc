package com.example.echo;

import java.time.Duration;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.resolver.EtcdResolver;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.core.Transport;

/**
 * Finds {@value EchoServerMain#SERVICE} through an etcd watch and calls it, picking an instance by weight as a
 * Go Kitex client does.
 *
 * <pre>java com.example.echo.EchoClientMain http://127.0.0.1:2379 hello</pre>
 */
public final class EchoClientMain {

    /** Returns a client of {@value EchoServerMain#SERVICE} that discovers its instances with {@code resolver}. */
    public static KitexClient newClient(EtcdResolver resolver) {
        return KitexClient.builder()
                          .service(EchoServerMain.SERVICE)
                          .fromService("example.echo-client")  // the caller name the server sees
                          .resolver(resolver)
                          // TTHeader carries the caller's name, metainfo and the RPC timeout, as Kitex does.
                          .transport(Transport.TTHEADER_FRAMED)
                          .rpcTimeout(Duration.ofSeconds(1))
                          .build();
    }

    public static void main(String[] args) throws Exception {
        final String etcd = args.length > 0 ? args[0] : "http://127.0.0.1:2379";
        final String message = args.length > 1 ? args[1] : "hello";
        try (EtcdResolver resolver = EtcdResolver.builder().etcd(EtcdClientConfig.of(etcd)).build();
             KitexClient client = newClient(resolver)) {
            // A stub is the generated Iface; each call is one RPC to an instance the resolver knows.
            final EchoServer.Iface echo = client.stub(EchoServer.Iface.class);
            final Response response = echo.Echo(new Request("echo", message));
            System.out.println(response.getMsg());
        }
    }

    private EchoClientMain() {}
}
