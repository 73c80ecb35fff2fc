/**
 * A client of Kitex (Go) services for Apache Thrift generated code: {@link
 * io.kitex4j.thriftrpc.client.KitexClient}.
 *
 * <pre>{@code
 * KitexClient client = KitexClient.builder()
 *         .service("echo")
 *         .resolver(EtcdResolver.builder().etcd(EtcdClientConfig.of("http://127.0.0.1:2379")).build())
 *         .transport(Transport.TTHEADER_FRAMED)          // for metainfo and business errors
 *         .rpcTimeout(Duration.ofSeconds(1))
 *         .build();
 *
 * EchoServer.Iface echo = client.stub(EchoServer.Iface.class);               // blocking
 * Response r = echo.Echo(new Request("action", "hi"));
 *
 * client.async(EchoServer.Iface.class).call(e -> e.Echo(req))               // CompletableFuture<Response>
 *       .thenAccept(...);
 * }</pre>
 *
 * <ul>
 *   <li>{@link io.kitex4j.thriftrpc.client.KitexClient}: the client, its wire behaviour, sharing
 *       and threads; built by {@link io.kitex4j.thriftrpc.client.KitexClientBuilder}.
 *   <li>{@link io.kitex4j.thriftrpc.client.AsyncStub}: typed asynchronous calls.
 *   <li>{@link io.kitex4j.thriftrpc.client.CallOptions}: per-call timeouts, metainfo, hash key.
 *   <li>{@link io.kitex4j.thriftrpc.client.BackwardValues}: metainfo the server sends back.
 *   <li>{@link io.kitex4j.core.RpcException} and its subclasses: call failures.
 *   <li>{@link io.kitex4j.thriftrpc.client.KitexClientBuilder#middleware}: client middleware.
 * </ul>
 */
package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.Transport;
