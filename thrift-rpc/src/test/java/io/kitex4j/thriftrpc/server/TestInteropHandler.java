package io.kitex4j.thriftrpc.server;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import io.kitex4j.idl.interop.AllTypes;
import io.kitex4j.idl.interop.CallInfo;
import io.kitex4j.idl.interop.Choice;
import io.kitex4j.idl.interop.Color;
import io.kitex4j.idl.interop.Inner;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;

/** The interop service as the server tests need it; records what the handlers saw. */
class TestInteropHandler implements InteropService.Iface {

    final Map<String, String> store = new ConcurrentHashMap<>();
    final List<String> threads = new CopyOnWriteArrayList<>();
    final List<ServerCallContext> contexts = new CopyOnWriteArrayList<>();
    final List<Metainfo> metainfos = new CopyOnWriteArrayList<>();
    volatile CountDownLatch sleepStarted = new CountDownLatch(1);
    volatile boolean sleepInterrupted;
    volatile String failOnewayWith;
    volatile boolean pingSawInterrupt;

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
        throw new UnsupportedOperationException("echoFields");
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
        ctx.sendBackward("backward-key", "backward-value");
        final CallInfo info = new CallInfo()
                .setTransients(ctx.metainfo().transients())
                .setPersistents(ctx.metainfo().persistents())
                .setCallerService(ctx.callerService())
                .setCallerMethod(ctx.callerMethod())
                .setMethod(ctx.method())
                .setTimeoutMillis(ctx.rpcTimeout() == null ? -1 : ctx.rpcTimeout().toMillis())
                .setDeadlineRemainingMillis(ctx.timeRemaining() == null ? -1 : ctx.timeRemaining().toMillis())
                .setTransport(ctx.transport().name())
                .setSeqId(ctx.seqId())
                .setRemoteAddress(String.valueOf(ctx.remoteAddress()))
                .setServerName("kitex4j-test");
        return info;
    }

    @Override
    public CallInfo callInfoVia(String target) {
        throw new UnsupportedOperationException("callInfoVia");
    }

    @Override
    public void sleep(long millis) {
        record();
        sleepStarted.countDown();
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            sleepInterrupted = true;
            throw new IllegalStateException("sleep interrupted", e);
        }
    }

    @Override
    public String throwDeclared(int kind, int code, String message) throws InvalidArgument, NotFound {
        switch (kind) {
            case 1:
                throw new InvalidArgument(code, message);
            case 2:
                throw new NotFound(message, message);
            default:
                return message;
        }
    }

    @Override
    public String bizError(int code, String message, Map<String, String> extra) {
        throw extra == null || extra.isEmpty() ? new BizStatusException(code, message)
                                               : new BizStatusException(code, message, extra);
    }

    @Override
    public void fail(String message) {
        record();
        throw new IllegalArgumentException(message);
    }

    @Override
    public void onewayPut(String key, String value) {
        record();
        if (failOnewayWith != null) {
            throw new IllegalStateException(failOnewayWith);
        }
        store.put(key, value);
    }

    @Override
    public String onewayGet(String key) {
        return store.getOrDefault(key, "");
    }
}
