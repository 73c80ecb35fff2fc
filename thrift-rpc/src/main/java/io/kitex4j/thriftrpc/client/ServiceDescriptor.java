package io.kitex4j.thriftrpc.client;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;

/**
 * The methods of one generated {@code Iface}, described once per class and cached.
 *
 * <p>The IDL service name ({@code isn}) is the simple name of the class that nests the
 * {@code Iface}: the Java generator names that class after the IDL service, which is also the
 * name Kitex's generated code registers ({@code serviceInfo.ServiceName}).
 */
final class ServiceDescriptor {

    private static final ClassValue<ServiceDescriptor> CACHE = new ClassValue<>() {
        @Override
        protected ServiceDescriptor computeValue(Class<?> type) {
            return new ServiceDescriptor(type);
        }
    };

    private final Class<?> iface;
    private final String idlService;
    private final Map<Method, MethodDescriptor> methods;

    private ServiceDescriptor(Class<?> iface) {
        if (!iface.isInterface()) {
            throw new IllegalArgumentException("iface: " + iface.getName() + " is not an interface");
        }
        final Class<?> owner = iface.getDeclaringClass();
        if (owner == null || !iface.getSimpleName().equals("Iface")) {
            throw new IllegalArgumentException("iface: " + iface.getName()
                    + " is not a generated <Service>.Iface");
        }
        this.iface = iface;
        this.idlService = owner.getSimpleName();
        final Map<Method, MethodDescriptor> m = new HashMap<>();
        for (Method method : iface.getMethods()) {
            if (Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            m.put(method, MethodDescriptor.of(method, idlService));
        }
        this.methods = Map.copyOf(m);
    }

    /**
     * The descriptor of a generated {@code Iface}.
     *
     * @throws IllegalArgumentException if {@code iface} is not generated code
     */
    static ServiceDescriptor of(Class<?> iface) {
        return CACHE.get(iface);
    }

    Class<?> iface() {
        return iface;
    }

    /** The IDL service name, e.g. {@code "EchoServer"}. */
    String idlService() {
        return idlService;
    }

    /** The descriptor of one of the interface's methods, or {@code null} (e.g. a default method). */
    MethodDescriptor method(Method method) {
        return methods.get(method);
    }
}
