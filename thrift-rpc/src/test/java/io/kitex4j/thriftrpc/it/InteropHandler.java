package io.kitex4j.thriftrpc.it;

import io.kitex4j.idl.structs.InteropValues;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.server.ServerCallContext;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.thrift.TException;

/**
 * The interop service as the Java-to-Java tests need it: echoes, reports what it received
 * ({@link #callInfo()}), and calls onwards with a kitex4j client ({@link #callInfoVia}).
 */
final class InteropHandler implements InteropService.Iface, AutoCloseable {

    private final String serverName;
    private final Map<String, String> store = new ConcurrentHashMap<>();
    private final Map<String, KitexClient> downstream = new ConcurrentHashMap<>();

    InteropHandler(String serverName) {
        this.serverName = serverName;
    }

    @Override
    public void ping() {}

    @Override
    public AllTypes echoAll(AllTypes value) {
        return value;
    }

    @Override
    public List<AllTypes> echoAllList(List<AllTypes> values) {
        return values;
    }

    @Override
    public Choice echoChoice(Choice value) {
        return value;
    }

    @Override
    public Color echoColor(Color value) {
        return value;
    }

    @Override
    public String echoString(String value) {
        return value;
    }

    @Override
    public long echoI64(long value) {
        return value;
    }

    @Override
    public double echoDouble(double value) {
        return value;
    }

    @Override
    public boolean echoBool(boolean value) {
        return value;
    }

    @Override
    public Map<String, List<Inner>> echoContainers(Map<String, List<Inner>> value) {
        return value;
    }

    @Override
    public AllTypes echoFields(boolean boolValue, byte byteValue, short i16Value, int i32Value, long i64Value,
                               double doubleValue, String stringValue, ByteBuffer binaryValue) {
        return InteropValues.required(boolValue, byteValue, i16Value, i32Value, i64Value, doubleValue, stringValue,
                binaryValue);
    }

    @Override
    public ByteBuffer echoBinary(ByteBuffer data) {
        return data;
    }

    @Override
    public ByteBuffer makeBinary(int size) {
        final byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) i;
        }
        return ByteBuffer.wrap(b);
    }

    @Override
    public CallInfo callInfo() {
        final ServerCallContext ctx = ServerCallContext.current();
        ctx.sendBackward("backward-key", "backward-from-" + serverName);
        final CallInfo info = new CallInfo()
                .setTransients(new HashMap<>(ctx.metainfo().transients()))
                .setPersistents(new HashMap<>(ctx.metainfo().persistents()))
                .setCallerService(ctx.callerService())
                .setCallerMethod(ctx.callerMethod())
                .setMethod(ctx.method())
                .setTimeoutMillis(ctx.rpcTimeout() == null ? -1 : ctx.rpcTimeout().toMillis())
                .setDeadlineRemainingMillis(ctx.timeRemaining() == null ? -1 : ctx.timeRemaining().toMillis())
                .setTransport(ctx.transport().name())
                .setSeqId(ctx.seqId())
                .setRemoteAddress(String.valueOf(ctx.remoteAddress()))
                .setServerName(serverName);
        if (ctx.transport().hasTTHeader()) {
            info.setCalleeService(ctx.requestInts().getOrDefault(MetaKeys.TO_SERVICE, ""))
                    .setCalleeMethod(ctx.requestInts().getOrDefault(MetaKeys.TO_METHOD, ""))
                    .setHeaderStrings(new HashMap<>(ctx.requestStrings()))
                    .setHeaderInts(new HashMap<>(ctx.requestInts()));
        }
        return info;
    }

    /** Calls {@code callInfo} on {@code target} ({@code host:port}) over TTHeader, forwarding metainfo. */
    @Override
    public CallInfo callInfoVia(String target) throws TException {
        final KitexClient client = downstream.computeIfAbsent(target, t -> KitexClient.builder()
                .service("interop-downstream").fromService(serverName).addresses(t)
                .transport(Transport.TTHEADER_FRAMED).connectTimeout(Duration.ofSeconds(1)).ioThreads(1).build());
        return client.stub(InteropService.Iface.class).callInfo();
    }

    @Override
    public void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String throwDeclared(int kind, int code, String message) throws InvalidArgument, NotFound {
        return switch (kind) {
            case 1 -> throw new InvalidArgument(code, message);
            case 2 -> throw new NotFound(message, message);
            default -> message;
        };
    }

    @Override
    public String bizError(int code, String message, Map<String, String> extra) {
        throw new BizStatusException(code, message, extra == null ? Map.of() : extra);
    }

    @Override
    public void fail(String message) {
        throw new IllegalStateException(message);
    }

    @Override
    public void onewayPut(String key, String value) {
        store.put(key, value);
    }

    @Override
    public String onewayGet(String key) {
        return store.getOrDefault(key, "");
    }

    @Override
    public void close() {
        downstream.values().forEach(KitexClient::close);
    }
}
