package io.kitex4j.thriftrpc.client;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;

/** The invocation handler behind {@link KitexClient#stub}: one blocking RPC per method call. */
final class BlockingStubHandler implements InvocationHandler {

    private final KitexClient client;
    private final ServiceDescriptor service;
    private final CallOptions options;

    BlockingStubHandler(KitexClient client, ServiceDescriptor service, CallOptions options) {
        this.client = client;
        this.service = service;
        this.options = options;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                case "toString" -> service.idlService() + " stub of " + client;
                default -> throw new UnsupportedOperationException(method.toString());
            };
        }
        final MethodDescriptor d = service.method(method);
        if (d == null) {
            throw new UnsupportedOperationException(method + " is not an RPC method");
        }
        return client.invokeBlocking(d, d.newArgs(args), options);
    }
}
