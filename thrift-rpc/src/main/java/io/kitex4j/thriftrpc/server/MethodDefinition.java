package io.kitex4j.thriftrpc.server;

import java.lang.reflect.Constructor;

import org.apache.thrift.ProcessFunction;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;

/**
 * One IDL method of a registered service: how to make its args, call the implementation and make an
 * empty result. Immutable.
 *
 * <p>The generated {@link ProcessFunction} does the typed part: {@code getEmptyArgsInstance()} and
 * {@code getResult(iface, args)}, which calls the implementation and turns IDL-declared exceptions
 * into result fields. Its {@code process(...)} method is deliberately not used: it writes
 * libthrift's own error replies, which differ from Kitex's.
 */
final class MethodDefinition {

    private final ServiceDefinition service;
    private final String name;
    private final boolean oneway;
    @SuppressWarnings("rawtypes")
    private final ProcessFunction function;
    private final Object iface;
    private final Constructor<? extends TBase<?, ?>> resultConstructor;

    MethodDefinition(ServiceDefinition service, String name, boolean oneway,
                     ProcessFunction<?, ?> function, Object iface,
                     Constructor<? extends TBase<?, ?>> resultConstructor) {
        this.service = service;
        this.name = name;
        this.oneway = oneway;
        this.function = function;
        this.iface = iface;
        this.resultConstructor = resultConstructor;
    }

    ServiceDefinition service() {
        return service;
    }

    String name() {
        return name;
    }

    boolean isOneway() {
        return oneway;
    }

    TBase<?, ?> newArgs() {
        return function.getEmptyArgsInstance();
    }

    /**
     * Calls the implementation. Returns the result struct ({@code null} for a oneway method);
     * throws what the implementation threw that the IDL does not declare.
     */
    @SuppressWarnings("unchecked")
    TBase<?, ?> invoke(TBase<?, ?> args) throws TException {
        return function.getResult(iface, args);
    }

    /**
     * A result struct with no field set: encoded, it is just STOP. Kitex sends this for a business
     * status error. Only for methods that are not oneway.
     */
    TBase<?, ?> newEmptyResult() {
        try {
            return resultConstructor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + resultConstructor.getDeclaringClass().getName(), e);
        }
    }

    @Override
    public String toString() {
        return service.name() + '.' + name + (oneway ? " (oneway)" : "");
    }
}
