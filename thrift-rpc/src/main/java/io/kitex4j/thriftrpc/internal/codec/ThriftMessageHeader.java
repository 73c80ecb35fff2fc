package io.kitex4j.thriftrpc.internal.codec;

import static java.util.Objects.requireNonNull;

/**
 * The header of a strict binary Thrift message: what precedes the args or result struct.
 *
 * <pre>
 * +-------------+-------------+------------------+-------------+---------------------+
 * | 80 01 00 TT | u32 nameLen | name (UTF-8)     | i32 seqId   | struct ... STOP(00) |
 * +-------------+-------------+------------------+-------------+---------------------+
 *   version|type
 * </pre>
 *
 * @param name the method name
 * @param type {@link #CALL}, {@link #REPLY}, {@link #EXCEPTION} or {@link #ONEWAY} (any byte when
 *     decoded: checking it is the caller's job, as in Kitex)
 * @param seqId the sequence id (Kitex clients never use 0)
 */
public record ThriftMessageHeader(String name, byte type, int seqId) {

    /** Message type 1: a call that expects a reply. */
    public static final byte CALL = 1;
    /** Message type 2: a reply (result struct). */
    public static final byte REPLY = 2;
    /** Message type 3: a {@link org.apache.thrift.TApplicationException}. */
    public static final byte EXCEPTION = 3;
    /** Message type 4: a call that gets no reply. */
    public static final byte ONEWAY = 4;

    /** Validates the name is not null. */
    public ThriftMessageHeader {
        requireNonNull(name, "name");
    }

    /** The name of a message type for logs, e.g. {@code "CALL"}, or {@code "TYPE_<n>"}. */
    public static String typeName(byte type) {
        return switch (type) {
            case CALL -> "CALL";
            case REPLY -> "REPLY";
            case EXCEPTION -> "EXCEPTION";
            case ONEWAY -> "ONEWAY";
            default -> "TYPE_" + type;
        };
    }
}
