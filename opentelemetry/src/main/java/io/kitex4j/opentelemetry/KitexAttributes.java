package io.kitex4j.opentelemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attribute keys, metainfo keys and metric names kitex4j's tracing writes, so that tests and dashboards can
 * name them without spelling strings. The first group is what Go's {@code kitex-contrib/obs-opentelemetry} v0.3.0
 * writes (its {@code tracing/semconv.go}, {@code metrics.go}, and OpenTelemetry semantic conventions v1.12.0);
 * the second the stable OpenTelemetry RPC conventions; the third kitex4j's own additions.
 */
public final class KitexAttributes {

    private KitexAttributes() {
    }

    // ---------------------------------------------------------------- as Go's obs-opentelemetry v0.3.0

    /** {@code rpc.system}, always {@value #KITEX} (semconv v1.12.0; Go's {@code RPCSystemKitex}). */
    public static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    /** {@code rpc.service}: the callee's service name (Go's {@code ri.To().ServiceName()}). */
    public static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    /** {@code rpc.method}: the method name alone, e.g. {@code Echo} (Go's {@code ri.To().Method()}). */
    public static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    /** {@code request.protocol}: Kitex's name of the transport, e.g. {@code TTHeader|Framed}. */
    public static final AttributeKey<String> REQUEST_PROTOCOL = AttributeKey.stringKey("request.protocol");
    /**
     * {@code kitex.recv_size}: the bytes of the frame received as Kitex's {@code RPCStats.RecvSize()} counts them
     * (TTHeader and message; the 4-byte length of Framed and TTHeaderFramed is skipped, not counted); on client
     * and server spans.
     */
    public static final AttributeKey<Long> KITEX_RECV_SIZE = AttributeKey.longKey("kitex.recv_size");
    /**
     * {@code kitex.send_size}: the bytes of the whole frame sent, as Kitex's {@code RPCStats.SendSize()}; on client spans
     * only (a kitex4j server frames its reply after the server span has ended).
     */
    public static final AttributeKey<Long> KITEX_SEND_SIZE = AttributeKey.longKey("kitex.send_size");
    /** {@code peer.service} on a server span: the caller's {@value #METAINFO_SERVICE_NAME} metainfo value. */
    public static final AttributeKey<String> PEER_SERVICE = AttributeKey.stringKey("peer.service");
    /** {@code peer.service.namespace}: the caller's {@value #METAINFO_SERVICE_NAMESPACE} metainfo value. */
    public static final AttributeKey<String> PEER_SERVICE_NAMESPACE = AttributeKey.stringKey("peer.service.namespace");
    /** {@code peer.deployment.environment}: the caller's {@value #METAINFO_DEPLOYMENT_ENVIRONMENT} value. */
    public static final AttributeKey<String> PEER_DEPLOYMENT_ENVIRONMENT =
            AttributeKey.stringKey("peer.deployment.environment");
    /** {@code source_operation}: the caller's method, only with {@code recordSourceOperation(true)}. */
    public static final AttributeKey<String> SOURCE_OPERATION = AttributeKey.stringKey("source_operation");
    /** {@code status.code} on the Go-style duration metrics: {@code Unset}, {@code Error} (Go's codes.Code names). */
    public static final AttributeKey<String> STATUS_CODE = AttributeKey.stringKey("status.code");
    /** {@code service.name} on the Go-style duration metrics (Go copies it from the SDK resource). */
    public static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    /** {@code service.namespace} on the Go-style duration metrics, when configured. */
    public static final AttributeKey<String> SERVICE_NAMESPACE = AttributeKey.stringKey("service.namespace");
    /** {@code deployment.environment} on the Go-style duration metrics, when configured. */
    public static final AttributeKey<String> DEPLOYMENT_ENVIRONMENT = AttributeKey.stringKey("deployment.environment");

    /** The value of {@link #RPC_SYSTEM} and {@link #RPC_SYSTEM_NAME}. */
    public static final String KITEX = "kitex";

    /** The transient metainfo key of the caller's service name ({@code RPC_TRANSIT_service.name} over TTHeader). */
    public static final String METAINFO_SERVICE_NAME = "service.name";
    /** The transient metainfo key of the caller's service namespace, sent when configured. */
    public static final String METAINFO_SERVICE_NAMESPACE = "service.namespace";
    /** The transient metainfo key of the caller's deployment environment, sent when configured. */
    public static final String METAINFO_DEPLOYMENT_ENVIRONMENT = "deployment.environment";

    /** Go's client histogram: milliseconds as a double, no unit declared. */
    public static final String CLIENT_DURATION = "rpc.client.duration";
    /** Go's server histogram: milliseconds as a double, no unit declared. */
    public static final String SERVER_DURATION = "rpc.server.duration";

    // ---------------------------------------------------------------- stable OpenTelemetry RPC conventions

    /** {@code rpc.system.name}, always {@value #KITEX} (no value is registered for Kitex or Thrift). */
    public static final AttributeKey<String> RPC_SYSTEM_NAME = AttributeKey.stringKey("rpc.system.name");
    /** {@code server.address}: on a client, the callee service name (or the instance's host without one). */
    public static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    /** {@code server.port}: only when {@link #SERVER_ADDRESS} is an instance's host. */
    public static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    /** {@code network.peer.address}: the instance called, or the caller's address on a server. */
    public static final AttributeKey<String> NETWORK_PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
    /** {@code network.peer.port}. */
    public static final AttributeKey<Long> NETWORK_PEER_PORT = AttributeKey.longKey("network.peer.port");
    /** {@code error.type}: the failure's class name, only when the call failed. */
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    /** The stable client histogram, in seconds; its {@code rpc.method} is {@code [package.]Service/Method}. */
    public static final String CLIENT_CALL_DURATION = "rpc.client.call.duration";
    /** The stable server histogram, in seconds; its {@code rpc.method} is {@code [package.]Service/Method}. */
    public static final String SERVER_CALL_DURATION = "rpc.server.call.duration";

    // ---------------------------------------------------------------- kitex4j's own

    /** The business status code of a call answered with a {@code BizStatusException} (not an error, as in Go). */
    public static final AttributeKey<Long> BIZ_STATUS_CODE = AttributeKey.longKey("kitex4j.biz_status_code");
    /** The business status message of a call answered with a {@code BizStatusException}. */
    public static final AttributeKey<String> BIZ_STATUS_MESSAGE = AttributeKey.stringKey("kitex4j.biz_status_message");
    /** The class of the IDL-declared exception a call ended with (not an error, as in Go). */
    public static final AttributeKey<String> DECLARED_EXCEPTION = AttributeKey.stringKey("kitex4j.declared_exception");
}
