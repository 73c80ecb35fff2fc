package io.kitex4j.core.rpc;

/**
 * The thread's current {@link CallContext}, for the server side to publish and the client side to
 * read. Use {@link CallContext#current()} to read it.
 */
public final class CurrentCallContext {

    // Never remove()d, only set (to the previous value when a scope closes): a set on a thread that
    // already has the entry allocates nothing, where remove() then set() would allocate per call.
    private static final ThreadLocal<CallContext> CURRENT = new ThreadLocal<>();

    private CurrentCallContext() {
    }

    static CallContext get() {
        return CURRENT.get();
    }

    /**
     * Makes {@code context} current on this thread until the returned scope is closed, which restores
     * the previous one. Use try-with-resources, on one thread.
     */
    public static Scope enter(CallContext context) {
        final CallContext previous = CURRENT.get();
        CURRENT.set(context);
        return previous == null ? CLEAR : () -> CURRENT.set(previous);
    }

    private static final Scope CLEAR = () -> CURRENT.set(null);

    /** Restores the context that was current before {@link #enter}. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        /** Restores the previous context. */
        @Override
        void close();
    }
}
