package io.kitex4j.thriftrpc.client;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.TFieldIdEnum;
import org.apache.thrift.meta_data.FieldMetaData;

/**
 * How to call one method of an Apache Thrift generated {@code Iface}: its wire name, whether it is
 * oneway, how to build its {@code <method>_args} and how to read its {@code <method>_result}.
 *
 * <p>Only the public API that libthrift 0.14 to 0.22 and the Java generator share is used:
 * {@link TBase#fieldForId}, {@link TBase#isSet}, {@link TBase#getFieldValue},
 * {@link TBase#setFieldValue} and {@link FieldMetaData#getStructMetaDataMap}. Generated fields may
 * be private ({@code private_members}), so nothing reads them directly.
 */
final class MethodDescriptor implements CallTarget {

    private final Method method;
    private final String name;
    private final String idlService;
    private final boolean oneway;
    private final Constructor<?> argsConstructor;
    // Set when argsConstructor is the no-argument constructor and there are parameters: the fields,
    // in declaration order, to set one by one.
    private final List<TFieldIdEnum> argFields;
    private final Constructor<?> resultConstructor;
    private final TFieldIdEnum successField;
    private final List<TFieldIdEnum> exceptionFields;
    private final boolean returnsByteBuffer;

    private MethodDescriptor(Method method, String idlService, Constructor<?> argsConstructor,
                             List<TFieldIdEnum> argFields, Constructor<?> resultConstructor,
                             TFieldIdEnum successField, List<TFieldIdEnum> exceptionFields) {
        this.method = method;
        this.name = method.getName();
        this.idlService = idlService;
        this.oneway = resultConstructor == null;
        this.argsConstructor = argsConstructor;
        this.argFields = argFields;
        this.resultConstructor = resultConstructor;
        this.successField = successField;
        this.exceptionFields = exceptionFields;
        this.returnsByteBuffer = method.getReturnType() == ByteBuffer.class;
    }

    /**
     * Describes {@code method} of a generated {@code Iface}.
     *
     * @param idlService the IDL service name sent as {@code isn}: the service whose {@code Iface}
     *     the stub implements (for an inherited method, the child service, as Kitex does)
     * @throws IllegalArgumentException if the method does not look like generated code
     */
    static MethodDescriptor of(Method method, String idlService) {
        final Class<?> owner = method.getDeclaringClass().getDeclaringClass();
        if (owner == null) {
            throw new IllegalArgumentException("iface: " + method.getDeclaringClass().getName()
                    + " is not nested in a generated service class");
        }
        final ClassLoader loader = method.getDeclaringClass().getClassLoader();
        final Class<?> argsClass = load(owner.getName() + '$' + method.getName() + "_args", loader);
        if (argsClass == null || !TBase.class.isAssignableFrom(argsClass)) {
            throw new IllegalArgumentException("iface: no generated " + owner.getSimpleName() + '.'
                    + method.getName() + "_args for method " + method.getName());
        }
        // A oneway method is the only kind without a _result class (the Java generator skips it).
        final Class<?> resultClass = load(owner.getName() + '$' + method.getName() + "_result", loader);

        Constructor<?> argsConstructor;
        List<TFieldIdEnum> argFields = List.of();
        final Class<?>[] params = method.getParameterTypes();
        try {
            argsConstructor = argsClass.getConstructor(params);
        } catch (NoSuchMethodException e) {
            // Not generated when every argument is optional: set the fields one by one.
            argsConstructor = constructor(argsClass);
            argFields = fieldsInOrder(argsClass);
            if (argFields.size() != params.length) {
                throw new IllegalArgumentException("iface: " + argsClass.getSimpleName() + " has "
                        + argFields.size() + " fields but " + method.getName() + " has " + params.length
                        + " parameters");
            }
        }
        if (resultClass == null) {
            if (method.getReturnType() != void.class) {
                throw new IllegalArgumentException("iface: no generated " + owner.getSimpleName() + '.'
                        + method.getName() + "_result for method " + method.getName());
            }
            return new MethodDescriptor(method, idlService, argsConstructor, argFields, null, null, List.of());
        }
        if (!TBase.class.isAssignableFrom(resultClass)) {
            throw new IllegalArgumentException("iface: " + resultClass.getName() + " is not a TBase");
        }
        final Constructor<?> resultConstructor = constructor(resultClass);
        TFieldIdEnum success = null;
        final List<TFieldIdEnum> exceptions = new ArrayList<>();
        for (TFieldIdEnum f : fieldsInOrder(resultClass)) {
            if (f.getThriftFieldId() == 0) {
                success = f;
            } else {
                exceptions.add(f);
            }
        }
        if (success == null && method.getReturnType() != void.class) {
            throw new IllegalArgumentException("iface: " + resultClass.getSimpleName() + " has no success field");
        }
        return new MethodDescriptor(method, idlService, argsConstructor, argFields, resultConstructor, success,
                List.copyOf(exceptions));
    }

    private static Class<?> load(String name, ClassLoader loader) {
        try {
            return Class.forName(name, true, loader);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static Constructor<?> constructor(Class<?> type) {
        try {
            final Constructor<?> c = type.getConstructor();
            if (!Modifier.isPublic(type.getModifiers())) {
                c.setAccessible(true);
            }
            return c;
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("iface: " + type.getName() + " has no public no-argument constructor");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<TFieldIdEnum> fieldsInOrder(Class<?> type) {
        // The generated metaDataMap is an EnumMap over _Fields, whose order is the IDL order.
        final Map<? extends TFieldIdEnum, FieldMetaData> map = FieldMetaData.getStructMetaDataMap((Class) type);
        return map == null ? List.of() : List.copyOf(map.keySet());
    }

    Method method() {
        return method;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String idlService() {
        return idlService;
    }

    @Override
    public boolean oneway() {
        return oneway;
    }

    /** A new {@code _args} holding {@code values} (the proxy's arguments, {@code null} for none). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    TBase<?, ?> newArgs(Object[] values) {
        final Object[] args = values == null ? new Object[0] : values;
        try {
            if (argFields.isEmpty()) {
                return (TBase<?, ?>) argsConstructor.newInstance(args);
            }
            final TBase base = (TBase) argsConstructor.newInstance();
            for (int i = 0; i < args.length; i++) {
                if (args[i] != null) {
                    base.setFieldValue(argFields.get(i), args[i]);
                }
            }
            return base;
        } catch (InvocationTargetException e) {
            throw sneaky(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build the arguments of " + name, e);
        }
    }

    @Override
    public TBase<?, ?> newResult() {
        try {
            return (TBase<?, ?>) resultConstructor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build the result of " + name, e);
        }
    }

    /**
     * What the generated client's {@code recv_<method>} does: the success value, else the declared
     * exception that is set, else {@code null} for a void method, else {@code MISSING_RESULT}.
     */
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Object unwrap(TBase<?, ?> result) throws TException {
        final TBase r = result;
        if (successField != null && r.isSet(successField)) {
            final Object value = r.getFieldValue(successField);
            // getFieldValue returns byte[] for binary; the Iface returns a ByteBuffer.
            if (returnsByteBuffer && value instanceof byte[] bytes) {
                return ByteBuffer.wrap(bytes);
            }
            return value;
        }
        for (TFieldIdEnum f : exceptionFields) {
            if (r.isSet(f)) {
                final Object e = r.getFieldValue(f);
                if (e instanceof TException te) {
                    throw te;
                }
            }
        }
        if (successField == null) {
            return null;
        }
        throw new TApplicationException(TApplicationException.MISSING_RESULT, name + " failed: unknown result");
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    @Override
    public String toString() {
        return idlService + '.' + name + (oneway ? " (oneway)" : "");
    }
}
