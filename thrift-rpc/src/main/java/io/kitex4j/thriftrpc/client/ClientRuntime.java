package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.Transport;
import io.kitex4j.core.rpc.TimeoutProvider;
import java.time.Duration;

/**
 * What a call needs of its client, fixed when the client is built: the settings, the shared resources,
 * where instances come from and where connections come from. One per client; {@link RpcCall} holds it
 * instead of reaching back into {@link KitexClient}. {@code encoders} holds each method's request
 * encoder (and its pre-encoded TTHeader); {@code remoteAddresses} the last picked address parsed, for
 * {@link RpcCall#remoteAddress()}; {@code timeoutProvider} may be {@code null}.
 */
record ClientRuntime(ClientConfig config, ClientResources resources, Endpoints endpoints,
                     ConnectionProvider connections, RefusedInstancePolicy refusedInstances,
                     Transport transport, Duration rpcTimeout, int connectTimeoutMillis, boolean sendConnectTimeout,
                     RequestEncoder.Cache encoders, Connector.LastAddress remoteAddresses,
                     TimeoutProvider timeoutProvider) {

    static ClientRuntime of(ClientConfig config, ClientResources resources) {
        final ConnectionProvider connections = resources.pool(config);
        final Endpoints endpoints = resources.endpoints(config, connections);
        return new ClientRuntime(config, resources, endpoints, connections, config.refusedInstancePolicy(),
                config.effectiveTransport(), config.effectiveRpcTimeout(),
                RpcCall.toMillis(config.effectiveConnectTimeout()), config.connectTimeout() != null,
                new RequestEncoder.Cache(), new Connector.LastAddress(), config.timeoutProvider());
    }
}
