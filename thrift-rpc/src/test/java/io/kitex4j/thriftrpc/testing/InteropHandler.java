package io.kitex4j.thriftrpc.testing;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.apache.thrift.TException;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.thriftrpc.client.KitexClient;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.server.ServerCallContext;

/**
 * The one Java {@link InteropService} handler of the tests, behaving as the Go peer's handler in
 * {@code interop-tests/go/cmd/server} does, so that the same contract tests hold against both: it echoes, reports
 * what it received ({@link #callInfo()}, sending a transient {@code send-back-<k>} back as backward value
 * {@code <k>}), calls onwards with a kitex4j client ({@link #callInfoVia}), throws what it is asked to, and keeps
 * the values of {@link #onewayPut}.
 *
 * <p>Unlike the Go handler it also records, for the server tests, which thread ran each recording call
 * ({@link #threads}), its {@link ServerCallContext} and {@link Metainfo}; it counts down {@link #sleepStarted}
 * when {@link #sleep} starts, and fails {@link #sleep} when interrupted (the Java counterpart of a Go handler
 * returning {@code ctx.Err()}) and {@link #onewayPut} when {@link #failOnewayWith} is set.
 */
public class InteropHandler implements InteropService.Iface, AutoCloseable {

    /** A transient metainfo key with this prefix is sent back by {@link #callInfo()} without it. */
    public static final String SEND_BACK_PREFIX = "send-back-";

    /** The values {@link #onewayPut} stored. */
    public final Map<String, String> store = new ConcurrentHashMap<>();
    /** The thread names of the recording calls (ping, echoString, callInfo, sleep, fail, onewayPut). */
    public final List<String> threads = new CopyOnWriteArrayList<>();
    /** The call contexts of the recording calls. */
    public final List<ServerCallContext> contexts = new CopyOnWriteArrayList<>();
    /** {@link Metainfo#current()} in the recording calls. */
    public final List<Metainfo> metainfos = new CopyOnWriteArrayList<>();
    /** Counted down when a {@link #sleep} starts. */
    public volatile CountDownLatch sleepStarted = new CountDownLatch(1);
    /** Whether a {@link #sleep} was interrupted. */
    public volatile boolean sleepInterrupted;
    /** When set, {@link #onewayPut} fails with this message. */
    public volatile String failOnewayWith;
    /** Whether the last {@link #ping} ran on an interrupted thread. */
    public volatile boolean pingSawInterrupt;

    private final String serverName;
    private final String serviceName;
    private final Map<String, KitexClient> downstream = new ConcurrentHashMap<>();
    private volatile java.util.function.UnaryOperator<io.kitex4j.thriftrpc.client.KitexClientBuilder> downstreamBuilder =
            b -> b;

    /** Customises the clients {@link #callInfoVia} makes (e.g. to add a tracing middleware); returns this. */
    public InteropHandler downstreamClient(
            java.util.function.UnaryOperator<io.kitex4j.thriftrpc.client.KitexClientBuilder> customizer) {
        this.downstreamBuilder = customizer;
        return this;
    }

    /** A handler that reports {@code serverName} and calls onwards as service {@code serverName}. */
    public InteropHandler(String serverName) {
        this(serverName, serverName);
    }

    /**
     * A handler that reports {@code serverName} ({@code -name} of the Go server) and calls onwards as
     * {@code serviceName} ({@code -service}).
     */
    public InteropHandler(String serverName, String serviceName) {
        this.serverName = serverName;
        this.serviceName = serviceName;
    }

    private void record() {
        threads.add(Thread.currentThread().getName());
        contexts.add(ServerCallContext.current());
        metainfos.add(Metainfo.current());
    }

    @Override
    public void ping() {
        pingSawInterrupt = Thread.currentThread().isInterrupted();
        record();
    }

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
        record();
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
        return new AllTypes().setBoolField(boolValue).setByteField(byteValue).setI16Field(i16Value)
                .setI32Field(i32Value).setI64Field(i64Value).setDoubleField(doubleValue)
                .setStringField(stringValue).setBinaryField(binaryValue);
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
        record();
        final ServerCallContext ctx = ServerCallContext.current();
        ctx.metainfo().transients().forEach((k, v) -> {
            if (k.startsWith(SEND_BACK_PREFIX)) {
                ctx.sendBackward(k.substring(SEND_BACK_PREFIX.length()), v);
            }
        });
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
        // Beyond the Go handler: the raw TTHeader, for the Java tests that check what a client sent.
        if (ctx.transport().hasTTHeader()) {
            info.setCalleeService(ctx.requestInts().getOrDefault(MetaKeys.TO_SERVICE, ""))
                    .setCalleeMethod(ctx.requestInts().getOrDefault(MetaKeys.TO_METHOD, ""))
                    .setHeaderStrings(new HashMap<>(ctx.requestStrings()))
                    .setHeaderInts(new HashMap<>(ctx.requestInts()));
        }
        return info;
    }

    /**
     * Calls {@code callInfo} on {@code target} ({@code host:port}) over TTHeaderFramed (what the Go peer's default
     * {@code transport.TTHeader} sends), naming itself as its service, forwarding metainfo.
     */
    @Override
    public CallInfo callInfoVia(String target) throws TException {
        final KitexClient client = downstream.computeIfAbsent(target, t -> downstreamBuilder.apply(
                KitexClient.builder().service("interop").fromService(serviceName).addresses(t)
                        .transport(Transport.TTHEADER_FRAMED).connectTimeout(Duration.ofSeconds(1)).ioThreads(1))
                .build());
        return client.stub(InteropService.Iface.class).callInfo();
    }

    @Override
    public void sleep(long millis) {
        record();
        sleepStarted.countDown();
        try {
            // Simulates slow work on purpose.
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            sleepInterrupted = true;
            throw new IllegalStateException("sleep interrupted", e);
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
        record();
        throw new IllegalStateException(message);
    }

    @Override
    public void onewayPut(String key, String value) {
        record();
        final String failure = failOnewayWith;
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        store.put(key, value);
    }

    @Override
    public String onewayGet(String key) {
        return store.getOrDefault(key, "");
    }

    /** Closes the clients {@link #callInfoVia} made. */
    @Override
    public void close() {
        downstream.values().forEach(KitexClient::close);
    }
}
