package io.kitex4j.thriftrpc.internal.codec;

/**
 * The {@code type} field of a {@link org.apache.thrift.TApplicationException} as Kitex uses it
 * ({@code kitex/pkg/remote/trans_errors.go}). Codes 0 to 10 are Apache Thrift's; 20 and 21 are Kitex's
 * own, and libthrift has no constant for them.
 *
 * <p>On the wire the exception is the struct {@code {1: string message, 2: i32 type}} sent in an
 * EXCEPTION message that carries the request's method name and seqId (see
 * {@link ThriftCodec#encodeException}). Notably, a Kitex server answers an unknown method with
 * {@link #UNKNOWN_SERVICE} (not {@link #UNKNOWN_METHOD}) when the request has no {@code isn} header, and
 * closes the connection afterwards.
 */
public final class KitexErrorTypes {

    private KitexErrorTypes() {}

    /** 0: unknown application exception. */
    public static final int UNKNOWN = 0;
    /** 1: the service has no such method (request carried {@code isn}). */
    public static final int UNKNOWN_METHOD = 1;
    /** 2: a message type the receiver does not accept there (e.g. a REPLY sent to a server). */
    public static final int INVALID_MESSAGE_TYPE = 2;
    /** 3: the reply's method name differs from the request's. */
    public static final int WRONG_METHOD_NAME = 3;
    /** 4: the reply's seqId differs from the request's. */
    public static final int BAD_SEQUENCE_ID = 4;
    /** 5: a reply without a result. */
    public static final int MISSING_RESULT = 5;
    /** 6: the handler failed with an error that is not declared in the IDL ({@code "biz error: ..."}). */
    public static final int INTERNAL_ERROR = 6;
    /** 7: the message could not be decoded. */
    public static final int PROTOCOL_ERROR = 7;
    /** 8: invalid transform. */
    public static final int INVALID_TRANSFORM = 8;
    /** 9: invalid protocol. */
    public static final int INVALID_PROTOCOL = 9;
    /** 10: unsupported client type. */
    public static final int UNSUPPORTED_CLIENT_TYPE = 10;
    /** 20 (Kitex): no service has the method; Kitex's answer to an unknown method without {@code isn}. */
    public static final int UNKNOWN_SERVICE = 20;
    /** 21 (Kitex): no service name. */
    public static final int NO_SERVICE_NAME = 21;

    /** The constant's name for a type code, e.g. {@code "UNKNOWN_SERVICE"}, or {@code "TYPE_<n>"}. */
    public static String name(int type) {
        return switch (type) {
            case UNKNOWN -> "UNKNOWN";
            case UNKNOWN_METHOD -> "UNKNOWN_METHOD";
            case INVALID_MESSAGE_TYPE -> "INVALID_MESSAGE_TYPE";
            case WRONG_METHOD_NAME -> "WRONG_METHOD_NAME";
            case BAD_SEQUENCE_ID -> "BAD_SEQUENCE_ID";
            case MISSING_RESULT -> "MISSING_RESULT";
            case INTERNAL_ERROR -> "INTERNAL_ERROR";
            case PROTOCOL_ERROR -> "PROTOCOL_ERROR";
            case INVALID_TRANSFORM -> "INVALID_TRANSFORM";
            case INVALID_PROTOCOL -> "INVALID_PROTOCOL";
            case UNSUPPORTED_CLIENT_TYPE -> "UNSUPPORTED_CLIENT_TYPE";
            case UNKNOWN_SERVICE -> "UNKNOWN_SERVICE";
            case NO_SERVICE_NAME -> "NO_SERVICE_NAME";
            default -> "TYPE_" + type;
        };
    }
}
