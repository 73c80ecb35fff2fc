package io.kitex4j.thriftrpc.internal.transmeta;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.TTHeaderRequestTemplate;
import io.kitex4j.core.Transport;
import java.time.Duration;
import java.util.Map;

/**
 * The one place that reads and writes the TTHeader meta keys of a unary call, in the way of Kitex's
 * {@code pkg/transmeta} handlers: {@code ClientTTHeaderHandler} and {@code MetainfoClientHandler} on the
 * client, {@code ServerTTHeaderHandler} and {@code MetainfoServerHandler} on the server.
 *
 * <pre>
 *            client writes (request)               server reads
 *  int 1     "framed" / "unframed"                  -
 *  int 3     caller service                         callerService()
 *  int 20    caller method                          callerMethod()
 *  int 6     callee service                         -
 *  int 9     method                                 - (the Thrift message names it)
 *  int 22    message type                           -
 *  int 12    RPC timeout ms (when set)              rpcTimeout() (positive only)
 *  int 17    connect timeout ms (when set)          -
 *  isn       IDL service (when not empty)           (routing, by the server)
 *  RPC_*     metainfo                               metainfo()
 *
 *            server writes (response)              client reads
 *  strings   backward values (first)               backwardValues(): every string key
 *  int 22    message type                   \
 *  biz-*     business status                 } only with {@link ServerHandler#TTHEADER_AND_METAINFO}
 *  crrst     "1" when the connection resets /      bizStatus(), connectionReset()
 * </pre>
 *
 * Everything is static and allocation-light: a call with nothing to send writes only its keys.
 */
public final class TTHeaderMeta {

    private static final String FRAMED = "framed";
    private static final String UNFRAMED = "unframed";

    private TTHeaderMeta() {
    }

    // ------------------------------------------------------------------ client

    /**
     * Writes what a kitex4j client sends with a request (Kitex's {@code ClientTTHeaderHandler.WriteMeta}
     * and {@code MetainfoClientHandler.WriteMeta}).
     *
     * @param call the call: caller and callee, method, transport, RPC timeout, IDL service and metainfo
     * @param messageType the Thrift message type (1 call, 4 oneway)
     * @param connectTimeoutMillis the connect timeout to announce, or 0 to announce none (Kitex sends it
     *     only when it was set explicitly)
     */
    public static void clientWrite(CallContext call, byte messageType, int connectTimeoutMillis, TTHeader.Builder b) {
        requireNonNull(b, "b");
        b.intValue(MetaKeys.TRANSPORT_TYPE, call.transport().isFramed() ? FRAMED : UNFRAMED)
         .intValue(MetaKeys.FROM_SERVICE, call.callerService())
         .intValue(MetaKeys.FROM_METHOD, call.callerMethod())
         .intValue(MetaKeys.TO_SERVICE, call.calleeService())
         .intValue(MetaKeys.TO_METHOD, call.method())
         .intValue(MetaKeys.MSG_TYPE, Integer.toString(messageType));
        final Duration rpcTimeout = call.rpcTimeout();
        if (rpcTimeout != null) {
            b.intValue(MetaKeys.RPC_TIMEOUT, Long.toString(rpcTimeout.toMillis()));
        }
        if (connectTimeoutMillis > 0) {
            b.intValue(MetaKeys.CONNECT_TIMEOUT, Integer.toString(connectTimeoutMillis));
        }
        MetainfoHeaders.write(call.metainfo(), b);
        if (!call.idlService().isEmpty()) {
            b.string(MetaKeys.ISN, call.idlService());
        }
    }

    /**
     * What {@link #clientWrite} writes that does not change from call to call of one client and method,
     * encoded once: int keys 1, 3, 6, 9, 22 and {@code isn}, with key 20 (the caller method) and keys 12
     * and 17 (the timeouts) left to each call, and the metainfo strings in front of {@code isn}. A request
     * written with it and {@link #clientStrings} is byte for byte what {@link #clientWrite} gives.
     */
    public static TTHeaderRequestTemplate clientTemplate(Transport transport, String callerService,
                                                         String calleeService, String method, byte messageType,
                                                         String idlService) {
        final TTHeaderRequestTemplate.Builder b = TTHeaderRequestTemplate.builder()
                .intValue(MetaKeys.TRANSPORT_TYPE, transport.isFramed() ? FRAMED : UNFRAMED)
                .intValue(MetaKeys.FROM_SERVICE, callerService)
                .slot(MetaKeys.FROM_METHOD)
                .intValue(MetaKeys.TO_SERVICE, calleeService)
                .intValue(MetaKeys.TO_METHOD, method)
                .intValue(MetaKeys.MSG_TYPE, Integer.toString(messageType))
                .numbers(MetaKeys.RPC_TIMEOUT, MetaKeys.CONNECT_TIMEOUT);
        if (!idlService.isEmpty()) {
            b.string(MetaKeys.ISN, idlService);
        }
        return b.build();
    }

    /**
     * The metainfo strings of a request for a {@link #clientTemplate}, in the order {@link #clientWrite}
     * adds them; {@code null} (nothing allocated) when there are none.
     *
     * @throws io.kitex4j.thriftrpc.internal.codec.KitexEncodeException if a string is too long
     */
    public static TTHeaderRequestTemplate.Strings clientStrings(Metainfo metainfo) {
        final Map<String, String> transients = metainfo.outgoingTransients();
        final Map<String, String> persistents = metainfo.persistents();
        final int n = transients.size() + persistents.size();
        if (n == 0) {
            return null;
        }
        final String[] keys = new String[n];
        final String[] values = new String[n];
        int i = 0;
        for (Map.Entry<String, String> e : transients.entrySet()) {
            keys[i] = MetaKeys.TRANSIT_PREFIX + e.getKey();
            values[i++] = e.getValue();
        }
        for (Map.Entry<String, String> e : persistents.entrySet()) {
            keys[i] = MetaKeys.PERSIST_PREFIX + e.getKey();
            values[i++] = e.getValue();
        }
        return TTHeaderRequestTemplate.strings(keys, values, n);
    }

    /**
     * The backward values a client receives: every string key of the response header, as Kitex's
     * {@code MetainfoClientHandler.ReadMeta}; empty without a header. Unmodifiable.
     */
    public static Map<String, String> clientReadBackward(TTHeader response) {
        return MetainfoHeaders.backwardFromResponse(response);
    }

    /**
     * The business status of a response ({@code ClientTTHeaderHandler.ReadMeta}), or {@code null}.
     *
     * @throws io.kitex4j.thriftrpc.internal.codec.KitexCodecException if {@code biz-extra} is malformed
     */
    public static BizStatusException clientReadBizStatus(TTHeader response) {
        return BizStatusHeaders.fromResponse(response);
    }

    /** Whether the response asks the client to stop using its connection ({@code crrst}, Kitex's ConnResetTag). */
    public static boolean clientReadConnectionReset(TTHeader response) {
        return response != null && response.strings().containsKey(MetaKeys.CRRST);
    }

    // ------------------------------------------------------------------ server

    /** The caller's service (int key 3, {@code ServerTTHeaderHandler.ReadMeta}); {@code ""} if absent. */
    public static String serverReadCallerService(TTHeader request) {
        return intOrEmpty(request, MetaKeys.FROM_SERVICE);
    }

    /** The method the caller was serving (int key 20); {@code ""} if absent. */
    public static String serverReadCallerMethod(TTHeader request) {
        return intOrEmpty(request, MetaKeys.FROM_METHOD);
    }

    /**
     * The RPC timeout the caller announced (int key 12, in ms), or {@code null} if absent, not an integer
     * or not positive (Kitex: {@code strconv.Atoi}, and only a positive timeout takes effect).
     */
    public static Duration serverReadRpcTimeout(TTHeader request) {
        if (request == null) {
            return null;
        }
        final String v = request.intValue(MetaKeys.RPC_TIMEOUT);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            final long ms = Long.parseLong(v);
            return ms > 0 ? Duration.ofMillis(ms) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The metainfo a handler sees (Kitex's {@code MetainfoServerHandler.ReadMeta} then
     * {@code TransferForward}): every received value readable, only persistent ones sent on.
     */
    public static Metainfo serverReadMetainfo(TTHeader request) {
        return request == null ? Metainfo.empty() : MetainfoHeaders.fromRequest(request).forNextHop();
    }

    /** Which of Kitex's server meta handlers a server runs ({@code KitexServerBuilder.ttheaderServerMeta}). */
    public enum ServerHandler {
        /**
         * {@code MetainfoServerHandler} and {@code ServerTTHeaderHandler}, as a Kitex server with
         * {@code WithMetaHandler(transmeta.ServerTTHeaderHandler)}: backward values, message type,
         * business status and {@code crrst}.
         */
        TTHEADER_AND_METAINFO,
        /** {@code MetainfoServerHandler} only, a default Kitex server: backward values alone. */
        METAINFO_ONLY;

        /** The handler for {@code ttheaderServerMeta(enabled)}. */
        public static ServerHandler of(boolean ttheaderServerMeta) {
            return ttheaderServerMeta ? TTHEADER_AND_METAINFO : METAINFO_ONLY;
        }

        /**
         * Writes a response's meta: the backward values first, so that the server's own keys win on a
         * clash, then (with {@link #TTHEADER_AND_METAINFO}) int 22, {@code biz-*} and {@code crrst}.
         *
         * @param backward the values the handler sent back; may be empty
         * @param messageType 2 reply or 3 exception
         * @param biz the handler's business status, or {@code null}
         * @param connectionReset whether to tell the client to drop the connection
         */
        public void serverWrite(Map<String, String> backward, byte messageType, BizStatusException biz,
                                boolean connectionReset, TTHeader.Builder b) {
            MetainfoHeaders.writeBackward(backward, b);
            if (this == METAINFO_ONLY) {
                return;
            }
            b.intValue(MetaKeys.MSG_TYPE, Integer.toString(messageType));
            if (biz != null) {
                BizStatusHeaders.writeTo(biz, b);
            }
            if (connectionReset) {
                b.string(MetaKeys.CRRST, "1");
            }
        }
    }

    private static String intOrEmpty(TTHeader h, int key) {
        if (h == null) {
            return "";
        }
        final String v = h.intValue(key);
        return v == null ? "" : v;
    }
}
