package io.kitex4j.thriftrpc.internal.codec;

/**
 * The keys Kitex puts in a TTHeader. Integer keys go to the INFO_INTKEYVALUE block (id {@code 0x10}),
 * string keys to the INFO_KEYVALUE block (id {@code 0x01}); every value is a string, numbers in
 * decimal.
 *
 * <p>Integer ids are {@code iota} positions in {@code gopkg/protocol/ttheader/metakey.go} (the same list
 * as {@code kitex/pkg/remote/transmeta/metakey.go}); they must never be renumbered. Which side writes
 * which key is described in {@code shared/reference/kitex-wire.md} §3 and §4: in short, a default Kitex
 * client sends no integer keys at all, a client with {@code transmeta.ClientTTHeaderHandler} sends
 * {@link #TRANSPORT_TYPE}, {@link #FROM_SERVICE}, {@link #FROM_METHOD}, {@link #TO_SERVICE},
 * {@link #TO_METHOD}, {@link #MSG_TYPE} (plus {@link #RPC_TIMEOUT}/{@link #CONNECT_TIMEOUT} when set),
 * and only {@link #ISN} changes routing on a default Kitex server.
 */
public final class MetaKeys {

    private MetaKeys() {}

    // ---- integer keys (INFO_INTKEYVALUE) ----

    /** 0: mesh version. */
    public static final int MESH_VERSION = 0;
    /** 1: {@code "framed"} or {@code "unframed"}, written by {@code ClientTTHeaderHandler}. */
    public static final int TRANSPORT_TYPE = 1;
    /** 2: log id. */
    public static final int LOG_ID = 2;
    /** 3: the caller's service name; read by every Kitex server codec. */
    public static final int FROM_SERVICE = 3;
    /** 4: the caller's cluster. */
    public static final int FROM_CLUSTER = 4;
    /** 5: the caller's IDC. */
    public static final int FROM_IDC = 5;
    /** 6: the callee's service name. */
    public static final int TO_SERVICE = 6;
    /** 7: the callee's cluster. */
    public static final int TO_CLUSTER = 7;
    /** 8: the callee's IDC. */
    public static final int TO_IDC = 8;
    /** 9: the method called (Kitex takes the method from the Thrift message, not from here). */
    public static final int TO_METHOD = 9;
    /** 10: environment. */
    public static final int ENV = 10;
    /** 11: destination address. */
    public static final int DEST_ADDRESS = 11;
    /** 12: the RPC timeout in milliseconds (enforced by a Kitex server only with WithEnableContextTimeout). */
    public static final int RPC_TIMEOUT = 12;
    /** 13: read timeout. */
    public static final int READ_TIMEOUT = 13;
    /** 14: ring hash key. */
    public static final int RING_HASH_KEY = 14;
    /** 15: DDP tag. */
    public static final int DDP_TAG = 15;
    /** 16: with mesh header. */
    public static final int WITH_MESH_HEADER = 16;
    /** 17: the connect timeout in milliseconds. */
    public static final int CONNECT_TIMEOUT = 17;
    /** 18: span context. */
    public static final int SPAN_CONTEXT = 18;
    /** 19: short connection. */
    public static final int SHORT_CONNECTION = 19;
    /** 20: the method the caller was serving when it made the call. */
    public static final int FROM_METHOD = 20;
    /** 21: stress-test tag. */
    public static final int STRESS_TAG = 21;
    /** 22: the message type as a decimal string: "1" call, "2" reply, "3" exception, "4" oneway. */
    public static final int MSG_TYPE = 22;
    /** 23: HTTP content type. */
    public static final int HTTP_CONTENT_TYPE = 23;
    /** 24: raw ring hash key. */
    public static final int RAW_RING_HASH_KEY = 24;
    /** 25: load-balancer type. */
    public static final int LB_TYPE = 25;
    /** 26: cluster shard id (gopkg only). */
    public static final int CLUSTER_SHARD_ID = 26;
    /** 27: TTHeader Streaming frame type (not used by unary calls). */
    public static final int FRAME_TYPE = 27;

    // ---- string keys (INFO_KEYVALUE) ----

    /** The IDL service name, used by a Kitex server for multi-service routing (since v0.9.0). */
    public static final String ISN = "isn";
    /** The real caller IP, set by proxies. */
    public static final String RIP = "rip";
    /** "Connection ready to reset": the peer wants this connection discarded after the call. */
    public static final String CRRST = "crrst";
    /** A business status code, int32 in decimal; {@code "0"} means none. */
    public static final String BIZ_STATUS = "biz-status";
    /** A business status message. */
    public static final String BIZ_MESSAGE = "biz-message";
    /** Extra business status information: a JSON object of strings. */
    public static final String BIZ_EXTRA = "biz-extra";
    /** Optional CRC32-C of the payload (hex), only with Kitex's payload validator. */
    public static final String CRC32C = "crc32c";

    /** Prefix of a transient (one-hop) metainfo value. */
    public static final String TRANSIT_PREFIX = io.kitex4j.core.Metainfo.TRANSIENT_PREFIX;
    /** Prefix of a transient value relayed from upstream; Kitex clients never send it. */
    public static final String TRANSIT_UPSTREAM_PREFIX = io.kitex4j.core.Metainfo.TRANSIENT_UPSTREAM_PREFIX;
    /** Prefix of a persistent (every hop) metainfo value. */
    public static final String PERSIST_PREFIX = io.kitex4j.core.Metainfo.PERSISTENT_PREFIX;
    /**
     * The GDPR token. It travels in the ACL_TOKEN block ({@code 0x11}) instead of the string block, and
     * is decoded back to this key.
     */
    public static final String GDPR_TOKEN = TRANSIT_PREFIX + "gdpr-token";
}
