package io.kitex4j.thriftrpc.server;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.thrift.AsyncProcessFunction;
import org.apache.thrift.ProcessFunction;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.TFieldIdEnum;
import org.apache.thrift.async.AsyncMethodCallback;
import org.apache.thrift.meta_data.FieldMetaData;
import org.apache.thrift.meta_data.StructMetaData;

/**
 * One IDL method of a registered service: how to make its args, call the implementation (in one of the
 * three {@link Style}s) and turn a return value or a declared exception into its result struct. Immutable.
 *
 * <p>The generated {@link ProcessFunction} does the typed part of a synchronous call:
 * {@code getEmptyArgsInstance()} and {@code getResult(iface, args)}, which calls the implementation and turns
 * IDL-declared exceptions into result fields; the generated {@link AsyncProcessFunction#start} does it for an
 * {@code AsyncIface}. Their {@code process(...)} and {@code getResultHandler(...)} are deliberately not used:
 * they write libthrift's own error replies, which differ from Kitex's.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
final class MethodDefinition {

    /** How the implementation is called. */
    enum Style {
        /** {@code Iface}: returns the value. */
        SYNC,
        /** {@code AsyncIface}: gives the value to an {@link AsyncMethodCallback}. */
        CALLBACK,
        /** A method returning a {@link CompletionStage} of the value. */
        STAGE
    }

    private final ServiceDefinition service;
    private final String name;
    private final boolean oneway;
    private final Style style;
    // The synchronous method table (with a null Iface for the other styles): makes the args struct.
    private final ProcessFunction function;
    private final AsyncProcessFunction asyncFunction;
    private final MethodHandle stageMethod;
    private final Object impl;
    private final Constructor<? extends TBase<?, ?>> resultConstructor;
    // The result struct's field 0, or null for void (and oneway) methods.
    private final TFieldIdEnum successField;
    // The args struct's fields, in the order of the Iface method's parameters (for STAGE).
    private final TFieldIdEnum[] argFields;
    private final DeclaredException[] declared;

    MethodDefinition(ServiceDefinition service, String name, boolean oneway, Style style, ProcessFunction<?, ?> function,
                     AsyncProcessFunction<?, ?, ?> asyncFunction, MethodHandle stageMethod, Object impl,
                     Constructor<? extends TBase<?, ?>> resultConstructor) {
        this.service = service;
        this.name = name;
        this.oneway = oneway;
        this.style = style;
        this.function = function;
        this.asyncFunction = asyncFunction;
        this.stageMethod = stageMethod;
        this.impl = impl;
        this.resultConstructor = resultConstructor;
        TFieldIdEnum success = null;
        final List<DeclaredException> exceptions = new ArrayList<>();
        if (resultConstructor != null) {
            final Map<? extends TFieldIdEnum, FieldMetaData> fields =
                    FieldMetaData.getStructMetaDataMap((Class) resultConstructor.getDeclaringClass());
            for (Map.Entry<? extends TFieldIdEnum, FieldMetaData> e : fields.entrySet()) {
                if (e.getKey().getThriftFieldId() == 0) {
                    success = e.getKey();
                } else if (e.getValue().valueMetaData instanceof StructMetaData) {
                    final Class<?> c = ((StructMetaData) e.getValue().valueMetaData).structClass;
                    if (Throwable.class.isAssignableFrom(c)) {
                        exceptions.add(new DeclaredException(e.getKey(), c));
                    }
                }
            }
        }
        successField = success;
        declared = exceptions.toArray(new DeclaredException[0]);
        if (style == Style.STAGE) {
            final TBase<?, ?> args = function.getEmptyArgsInstance();
            final Map<? extends TFieldIdEnum, FieldMetaData> fields =
                    FieldMetaData.getStructMetaDataMap((Class) args.getClass());
            argFields = fields.keySet().toArray(new TFieldIdEnum[0]);
        } else {
            argFields = null;
        }
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

    /** Whether {@link #invoke} can be used: the implementation is an {@code Iface}. */
    boolean isSync() {
        return style == Style.SYNC;
    }

    Style style() {
        return style;
    }

    TBase<?, ?> newArgs() {
        return function.getEmptyArgsInstance();
    }

    /**
     * Calls a synchronous implementation. Returns the result struct ({@code null} for a oneway method);
     * throws what the implementation threw that the IDL does not declare.
     */
    TBase<?, ?> invoke(TBase<?, ?> args) throws TException {
        return function.getResult(impl, args);
    }

    /**
     * Calls an {@code AsyncIface} implementation, which reports to {@code callback}; what {@code start}
     * throws is thrown.
     */
    void start(TBase<?, ?> args, AsyncMethodCallback<Object> callback) throws TException {
        asyncFunction.start(impl, args, callback);
    }

    /** Calls a {@link CompletionStage}-returning implementation; what the method throws is thrown. */
    CompletionStage<?> startStage(TBase<?, ?> args) throws Throwable {
        final Object[] values = new Object[argFields.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = ((TBase) args).getFieldValue(argFields[i]);
        }
        final Object stage = stageMethod.invoke(values);
        if (stage == null) {
            throw new NullPointerException(this + " returned a null CompletionStage");
        }
        return (CompletionStage<?>) stage;
    }

    /**
     * Calls the implementation whatever its style, for middleware: the future completes with the method's
     * return value ({@code null} for void and oneway methods) or exceptionally with what it threw, an
     * IDL-declared exception included. Never throws.
     */
    CompletableFuture<Object> call(TBase<?, ?> args) {
        try {
            switch (style) {
                case SYNC: {
                    final TBase<?, ?> result = invoke(args);
                    if (result == null) {
                        return CompletableFuture.completedFuture(null);
                    }
                    final Throwable declaredException = declaredIn(result);
                    return declaredException != null ? CompletableFuture.failedFuture(declaredException)
                            : CompletableFuture.completedFuture(
                                    successField == null ? null : ((TBase) result).getFieldValue(successField));
                }
                case CALLBACK: {
                    final CompletableFuture<Object> f = new CompletableFuture<>();
                    start(args, new AsyncMethodCallback<Object>() {
                        @Override
                        public void onComplete(Object response) {
                            f.complete(response);
                        }

                        @Override
                        public void onError(Exception exception) {
                            f.completeExceptionally(exception);
                        }
                    });
                    return f;
                }
                default:
                    return (CompletableFuture<Object>) startStage(args).toCompletableFuture();
            }
        } catch (Throwable t) {
            return CompletableFuture.failedFuture(t);
        }
    }

    /** The result struct of a method that returned {@code value}. Only for methods that are not oneway. */
    TBase<?, ?> resultOf(Object value) {
        final TBase result = newEmptyResult();
        if (successField != null && value != null) {
            result.setFieldValue(successField, value);
        }
        return result;
    }

    /**
     * The result struct carrying {@code t} if the IDL declares it for this method (the first declared
     * exception class it is an instance of), or {@code null}. Only for methods that are not oneway.
     */
    TBase<?, ?> resultOfDeclared(Throwable t) {
        for (DeclaredException d : declared) {
            if (d.type.isInstance(t)) {
                final TBase result = newEmptyResult();
                result.setFieldValue(d.field, t);
                return result;
            }
        }
        return null;
    }

    private Throwable declaredIn(TBase<?, ?> result) {
        for (DeclaredException d : declared) {
            if (((TBase) result).isSet(d.field)) {
                return (Throwable) ((TBase) result).getFieldValue(d.field);
            }
        }
        return null;
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

    private record DeclaredException(TFieldIdEnum field, Class<?> type) {}
}
