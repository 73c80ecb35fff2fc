package io.kitex4j.core.discovery;

/**
 * Receives the changes of one service's view; register it with
 * {@link ServiceWatch#addListener(ResolverListener)}.
 *
 * <p>Rules:
 * <ul>
 *   <li>A listener added after the first sync receives the current view at once, as one update
 *       whose {@code previous} is empty and whose {@code added} holds every instance. A listener
 *       added earlier receives that update when the first sync ends. Either way, a listener can
 *       build its state from updates alone.
 *   <li>Updates reach one listener one at a time and in order, on the resolver's listener executor
 *       (never on an etcd I/O thread).
 *   <li>Several quick changes may arrive as one update; the lists always describe the difference
 *       between {@code previous} and {@code current}.
 *   <li>A listener should return quickly: a slow one delays the updates of the other listeners of
 *       the same service. An exception it throws is logged and otherwise ignored.
 * </ul>
 */
@FunctionalInterface
public interface ResolverListener {

    /** Called for every change of the service's instances or state. */
    void onUpdate(ResolverUpdate update);
}
