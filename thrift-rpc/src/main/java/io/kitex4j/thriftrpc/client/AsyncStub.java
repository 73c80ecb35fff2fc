package io.kitex4j.thriftrpc.client;

import static java.util.Objects.requireNonNull;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.CompletableFuture;
import org.apache.thrift.TException;

/**
 * Asynchronous calls through a generated {@code Iface}, typed by the method called:
 *
 * <pre>{@code
 * AsyncStub<EchoServer.Iface> echo = client.async(EchoServer.Iface.class);
 * CompletableFuture<Response> r = echo.call(e -> e.Echo(req));        // a method with a result
 * CompletableFuture<Long> n = interop.call(i -> i.echoI64(42L));      // primitives are boxed
 * CompletableFuture<Void> done = interop.run(i -> i.ping());          // void and oneway methods
 * }</pre>
 *
 * <p>Rules:
 * <ul>
 *   <li>The lambda is run at once, on the calling thread, with a recording stand-in of the
 *       {@code Iface}: it must call exactly one of its methods, and only to say which method and
 *       which arguments; the value it returns is a placeholder ({@code null}, 0 or false) and is
 *       ignored. The RPC starts when the lambda returns. Anything else throws
 *       {@link IllegalArgumentException}.
 *   <li>The future completes with the method's result, or fails with what the blocking stub would
 *       have thrown: the declared exception itself or an {@link io.kitex4j.core.RpcException}
 *       (see {@link KitexClient}). A oneway method's future completes when the request is
 *       written.
 *   <li>{@link io.kitex4j.core.Metainfo#current()} and {@link BackwardValues#capture()} are
 *       read on the calling thread when the call starts; {@link CallOptions} can set both
 *       explicitly.
 *   <li>Cancelling the future abandons the call: its connection is closed (or, multiplexed, its
 *       reply dropped).
 *   <li>The future completes on a client I/O thread; see {@link KitexClient} about callbacks.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 *
 * @param <I> the generated {@code Iface}
 */
public final class AsyncStub<I> {

    /** A call of one {@code Iface} method that returns a value. */
    @FunctionalInterface
    public interface Call<I, R> {
        /** Calls one method of {@code iface} and returns its (placeholder) value. */
        R apply(I iface) throws TException;
    }

    /** A call of one void or oneway {@code Iface} method. */
    @FunctionalInterface
    public interface VoidCall<I> {
        /** Calls one method of {@code iface}. */
        void apply(I iface) throws TException;
    }

    private static final ThreadLocal<Recording> RECORDING = new ThreadLocal<>();

    private final KitexClient client;
    private final ServiceDescriptor service;
    private final CallOptions options;
    private final I recorder;

    AsyncStub(KitexClient client, ServiceDescriptor service, CallOptions options) {
        this.client = client;
        this.service = service;
        this.options = options;
        @SuppressWarnings("unchecked")
        final I r = (I) Proxy.newProxyInstance(service.iface().getClassLoader(), new Class<?>[] {service.iface()},
                new Recorder(service));
        this.recorder = r;
    }

    /**
     * Starts the RPC of the one method {@code call} invokes and returns its future result.
     *
     * @throws IllegalArgumentException if {@code call} does not invoke exactly one {@code Iface} method
     */
    public <R> CompletableFuture<R> call(Call<I, R> call) {
        requireNonNull(call, "call");
        final Recording rec = record(call, null);
        @SuppressWarnings("unchecked")
        final CompletableFuture<R> f = (CompletableFuture<R>) (CompletableFuture<?>) start(rec);
        return f;
    }

    /**
     * Starts the RPC of the one void or oneway method {@code call} invokes.
     *
     * @throws IllegalArgumentException if {@code call} does not invoke exactly one {@code Iface} method
     */
    public CompletableFuture<Void> run(VoidCall<I> call) {
        requireNonNull(call, "call");
        final Recording rec = record(null, call);
        final CompletableFuture<Object> f = start(rec);
        if (rec.method.method().getReturnType() == void.class) {
            // The value is null: the same future, so that cancelling it cancels the call.
            @SuppressWarnings("unchecked")
            final CompletableFuture<Void> v = (CompletableFuture<Void>) (CompletableFuture<?>) f;
            return v;
        }
        return KitexClient.discardValue(f);
    }

    /** The same stub with other call options. */
    public AsyncStub<I> withOptions(CallOptions options) {
        return new AsyncStub<>(client, service, requireNonNull(options, "options"));
    }

    private CompletableFuture<Object> start(Recording rec) {
        return client.start(rec.method, rec.method.newArgs(rec.args), options);
    }

    // One of call and voidCall: no adapting lambda per call.
    private Recording record(Call<I, ?> call, VoidCall<I> voidCall) {
        final Recording previous = RECORDING.get();
        final Recording rec = new Recording(service);
        RECORDING.set(rec);
        try {
            if (call != null) {
                call.apply(recorder);
            } else {
                voidCall.apply(recorder);
            }
        } catch (TException e) {
            // The recorder never throws it: the lambda did something besides naming the call.
            throw new IllegalArgumentException("call: the lambda threw " + e, e);
        } finally {
            // Set, never removed: removing would make the next call allocate the thread's map entry again.
            // The value left behind is null, so nothing is retained.
            RECORDING.set(previous);
        }
        if (rec.count != 1) {
            throw new IllegalArgumentException("call: the lambda must call exactly one method of "
                    + service.iface().getName() + ", it called " + rec.count);
        }
        return rec;
    }

    private static final class Recording {
        final ServiceDescriptor service;
        MethodDescriptor method;
        Object[] args;
        int count;

        Recording(ServiceDescriptor service) {
            this.service = service;
        }
    }

    /** The stand-in handed to the lambdas: records the call and returns a placeholder. */
    private static final class Recorder implements InvocationHandler {
        private final ServiceDescriptor service;

        Recorder(ServiceDescriptor service) {
            this.service = service;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> service.idlService() + " call recorder";
                };
            }
            final Recording rec = RECORDING.get();
            final MethodDescriptor d = service.method(method);
            if (rec == null || rec.service != service || d == null) {
                throw new IllegalStateException("the call recorder of " + service.idlService()
                        + " is only usable inside AsyncStub.call/run");
            }
            rec.count++;
            rec.method = d;
            rec.args = args;
            return placeholder(method.getReturnType());
        }

        private static Object placeholder(Class<?> type) {
            if (!type.isPrimitive() || type == void.class) {
                return null;
            }
            if (type == boolean.class) {
                return false;
            }
            if (type == long.class) {
                return 0L;
            }
            if (type == double.class) {
                return 0.0d;
            }
            if (type == float.class) {
                return 0.0f;
            }
            if (type == char.class) {
                return (char) 0;
            }
            if (type == byte.class) {
                return (byte) 0;
            }
            if (type == short.class) {
                return (short) 0;
            }
            return 0;
        }
    }
}
