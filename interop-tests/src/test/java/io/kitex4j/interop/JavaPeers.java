package io.kitex4j.interop;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.thrift.TException;

import io.kitex4j.idl.echo.ComplexRequest;
import io.kitex4j.idl.echo.ComplexResponse;
import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.echo.Response;
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

/** The Java side's handlers, behaving as the Go server in {@code go/cmd/server} does. */
final class JavaPeers {

    private JavaPeers() {}

    /** EchoServer: echoes; action "whoami" answers the server's name; action "sleep" sleeps msg's first number (ms). */
    static final class Echo implements EchoServer.Iface {
        private final String name;

        Echo(String name) {
            this.name = name;
        }

        @Override
        public Response Echo(Request req) {
            if ("sleep".equals(req.getAction())) {
                sleepMillis(Long.parseLong(req.getMsg().split(",", 2)[0].trim()));
            }
            if ("whoami".equals(req.getAction())) {
                return new Response(req.getAction(), name);
            }
            return new Response(req.getAction(), req.getMsg());
        }

        @Override
        public ComplexResponse EchoComplex(ComplexRequest req) {
            final ComplexResponse r = new ComplexResponse(req.getAction(), req.getMsg(), req.getMsgMap(),
                    req.getSubMsgs(), req.getFlagMsg());
            if (req.isSetMsgSet()) {
                r.setMsgSet(req.getMsgSet());
            }
            return r;
        }
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** InteropService as the Go server implements it. */
    static final class Interop implements InteropService.Iface, AutoCloseable {
        private final String serverName;
        private final Map<String, String> store = new ConcurrentHashMap<>();
        private final Map<String, KitexClient> downstream = new ConcurrentHashMap<>();

        Interop(String serverName) {
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
            final ServerCallContext ctx = ServerCallContext.current();
            // as the Go server: a transient "send-back-<k>" is sent back as backward value <k>
            ctx.metainfo().transients().forEach((k, v) -> {
                if (k.startsWith("send-back-")) {
                    ctx.sendBackward(k.substring("send-back-".length()), v);
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
            if (ctx.transport().hasTTHeader()) {
                info.setCalleeService(ctx.requestInts().getOrDefault(MetaKeys.TO_SERVICE, ""))
                        .setCalleeMethod(ctx.requestInts().getOrDefault(MetaKeys.TO_METHOD, ""))
                        .setHeaderStrings(new HashMap<>(ctx.requestStrings()))
                        .setHeaderInts(new HashMap<>(ctx.requestInts()));
            }
            return info;
        }

        /** Calls {@code callInfo} on {@code target} ({@code host:port}) over TTHeaderFramed, forwarding metainfo. */
        @Override
        public CallInfo callInfoVia(String target) throws TException {
            final KitexClient client = downstream.computeIfAbsent(target, t -> KitexClient.builder()
                    .service("interop").fromService(serverName).addresses(t)
                    .transport(Transport.TTHEADER_FRAMED).connectTimeout(Duration.ofSeconds(1)).ioThreads(1)
                    .build());
            return client.stub(InteropService.Iface.class).callInfo();
        }

        @Override
        public void sleep(long millis) {
            sleepMillis(millis);
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
}
