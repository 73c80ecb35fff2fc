package io.kitex4j.thriftrpc.client;

import org.apache.thrift.TBase;
import org.apache.thrift.TException;

/** The method a call invokes and how its reply is turned into a value. */
interface CallTarget {

    /** The method name on the wire. */
    String name();

    /** The IDL service name sent as {@code isn} over TTHeader; empty to send none. */
    String idlService();

    /** Whether the call is oneway (message type 4, no reply). */
    boolean oneway();

    /** A new, empty {@code <method>_result}; never called for oneway targets. */
    TBase<?, ?> newResult();

    /** The call's value from a decoded {@code _result}, or the declared exception it holds. */
    Object unwrap(TBase<?, ?> result) throws TException;
}
