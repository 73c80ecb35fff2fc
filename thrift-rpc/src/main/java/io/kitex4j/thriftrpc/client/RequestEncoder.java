package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.TTHeaderRequestTemplate;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.thriftrpc.internal.transmeta.TTHeaderMeta;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.thrift.TBase;

/**
 * Encodes the requests of one client and method into one buffer each, framing and all, on the caller's
 * thread: the I/O thread only writes it. Over TTHeader the constant part of the header (transport type,
 * services, method, message type, {@code isn}) was encoded once, into a {@link TTHeaderRequestTemplate};
 * a call writes only its sequence id, caller method, timeouts and metainfo. The bytes are those that
 * {@link TTHeaderMeta#clientWrite} and {@link io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder}
 * give (see {@code RequestEncoderTest}).
 */
final class RequestEncoder {

    // Enough for most small requests; each encoder then remembers the size of its last one.
    private static final int MIN_CAPACITY = 128;
    private static final int MAX_CAPACITY_HINT = 64 * 1024;
    private static final byte[] EMPTY = new byte[0];

    private final Transport transport;
    private final String method;
    private final byte messageType;
    private final TTHeaderRequestTemplate template;
    // Racy hints: a stale value costs at most a buffer resize.
    private int capacityHint = MIN_CAPACITY;
    private CallerMethod lastCallerMethod = new CallerMethod("", EMPTY);

    RequestEncoder(Transport transport, String fromService, String service, String method, boolean oneway,
                   String idlService) {
        this.transport = transport;
        this.method = method;
        this.messageType = oneway ? ThriftMessageHeader.ONEWAY : ThriftMessageHeader.CALL;
        this.template = transport.hasTTHeader()
                ? TTHeaderMeta.clientTemplate(transport, fromService, service, method, messageType, idlService)
                : null;
    }

    /**
     * The whole request, ready to be written.
     *
     * @param rpcTimeoutMillis the RPC timeout to announce, or negative for none
     * @param connectTimeoutMillis the connect timeout to announce, or 0 for none
     * @throws io.kitex4j.thriftrpc.internal.codec.KitexEncodeException if the header or the arguments cannot be
     *     encoded
     */
    ByteBuf encode(ByteBufAllocator alloc, int seqId, boolean multiplexed, String callerMethod, long rpcTimeoutMillis,
                   int connectTimeoutMillis, Metainfo metainfo, TBase<?, ?> args) {
        final ByteBuf out = alloc.ioBuffer(capacityHint);
        boolean ok = false;
        try {
            if (template != null) {
                final TTHeaderRequestTemplate.Strings strings = TTHeaderMeta.clientStrings(metainfo);
                final boolean framed = transport.isFramed();
                final int start = template.write(out, framed, multiplexed ? TTHeader.FLAG_SUPPORT_OUT_OF_ORDER : 0,
                        seqId, callerMethodBytes(callerMethod), rpcTimeoutMillis,
                        connectTimeoutMillis > 0 ? connectTimeoutMillis : -1, strings);
                ThriftCodec.writeMessage(out, method, messageType, seqId, args);
                TTHeaderRequestTemplate.finish(out, start, framed);
            } else if (transport.isFramed()) {
                out.writeInt(0);
                ThriftCodec.writeMessage(out, method, messageType, seqId, args);
                out.setInt(0, out.writerIndex() - 4);
            } else {
                ThriftCodec.writeMessage(out, method, messageType, seqId, args);
            }
            final int size = out.readableBytes();
            if (size > capacityHint && size <= MAX_CAPACITY_HINT) {
                capacityHint = size;
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    private byte[] callerMethodBytes(String callerMethod) {
        final CallerMethod last = lastCallerMethod;
        if (last.name.equals(callerMethod)) {
            return last.utf8;
        }
        final CallerMethod m = new CallerMethod(callerMethod,
                TTHeaderRequestTemplate.utf8(callerMethod, String.valueOf(io.kitex4j.thriftrpc.internal.codec.MetaKeys.FROM_METHOD)));
        lastCallerMethod = m;
        return m.utf8;
    }

    private record CallerMethod(String name, byte[] utf8) {}

    /** The encoders of one client, by target; bounded, as raw calls may bring any number of targets. */
    static final class Cache {
        private static final int MAX_ENTRIES = 1024;
        private final ConcurrentHashMap<CallTarget, RequestEncoder> encoders = new ConcurrentHashMap<>();

        RequestEncoder get(ClientRuntime runtime, CallTarget target) {
            RequestEncoder e = encoders.get(target);
            if (e == null) {
                e = new RequestEncoder(runtime.transport(), runtime.config().fromService(), runtime.config().service(),
                        target.name(), target.oneway(), target.idlService());
                if (encoders.size() < MAX_ENTRIES) {
                    final RequestEncoder raced = encoders.putIfAbsent(target, e);
                    if (raced != null) {
                        e = raced;
                    }
                }
            }
            return e;
        }
    }
}
