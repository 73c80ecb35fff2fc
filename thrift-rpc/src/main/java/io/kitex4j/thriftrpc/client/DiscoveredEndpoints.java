package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.discovery.ResolvedInstances;
import io.kitex4j.core.discovery.Resolver;
import io.kitex4j.core.discovery.ResolverListener;
import io.kitex4j.core.discovery.ResolverUpdate;
import io.kitex4j.core.discovery.ServiceWatch;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.loadbalance.Picker;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instances of a service as a {@link Resolver} reports them. The picker is rebuilt only when
 * the instance list changes, so round-robin state survives state-only updates (Kitex's balancer
 * cache does the same).
 */
final class DiscoveredEndpoints implements Endpoints, ResolverListener {

    private static final Logger log = LoggerFactory.getLogger(DiscoveredEndpoints.class);

    private final String service;
    private final LoadBalancer balancer;
    private final RefusedInstancePolicy refusedInstances;
    private final InstanceGate gate;
    private final ServiceWatch watch;
    private final CompletableFuture<Picker> first = new CompletableFuture<>();
    // A set: variants sharing these endpoints and a pool register the pool once.
    private final Set<ConnectionProvider> evictOnRemoval = new CopyOnWriteArraySet<>();
    private volatile CompletableFuture<Picker> current = first;
    private volatile ResolvedInstances view;

    /**
     * @param refusedInstances how to avoid instances that refuse connections; {@code null} to not
     * @param gate the instance gate to ask; {@code null} for none
     */
    DiscoveredEndpoints(Resolver resolver, String service, LoadBalancer balancer,
                        RefusedInstancePolicy refusedInstances, InstanceGate gate) {
        this.service = service;
        this.balancer = balancer;
        this.refusedInstances = refusedInstances;
        this.gate = gate;
        this.watch = resolver.watch(service);
        watch.addListener(this);
        // A listener hears of the first sync too; this covers a resolver that reports an
        // unreachable etcd only through firstSync().
        watch.firstSync().thenAccept(this::onFirstSync);
    }

    private synchronized void onFirstSync(ResolvedInstances instances) {
        if (view == null) {
            install(instances);
        }
    }

    @Override
    public synchronized void onUpdate(ResolverUpdate update) {
        if (view == null || update.instancesChanged()) {
            install(update.current());
        } else {
            view = update.current();
        }
        if (refusedInstances != null && update.previous().state() != ResolvedInstances.State.SYNCING) {
            // A changed or re-added instance (a restarted server registers anew) gets a fresh chance
            // at once rather than at its next probe. Not on the first view, which lists every
            // instance as added and would clear the marks other clients of the process made.
            for (Instance added : update.added()) {
                refusedInstances.refused().forget(added.address());
            }
            for (Instance updated : update.updated()) {
                refusedInstances.refused().forget(updated.address());
            }
        }
        for (Instance removed : update.removed()) {
            for (ConnectionProvider p : evictOnRemoval) {
                try {
                    p.evict(removed.address());
                } catch (RuntimeException e) {
                    log.warn("Failed to evict the connections to {}", removed.address(), e);
                }
            }
        }
    }

    private void install(ResolvedInstances instances) {
        view = instances;
        final Picker picker = RefusedInstancePolicy.newPicker(refusedInstances, gate, balancer, instances.instances());
        log.debug("Service {}: {} instance(s), state {}", service, instances.instances().size(), instances.state());
        current = CompletableFuture.completedFuture(picker);
        // Calls waiting for the first answer go on.
        first.complete(picker);
    }

    @Override
    public CompletableFuture<Picker> picker() {
        return current;
    }

    @Override
    public String describeEmpty() {
        final ResolvedInstances v = view;
        if (v == null) {
            return "service '" + service + "' is not resolved yet";
        }
        return switch (v.state()) {
            case UNREACHABLE -> "service '" + service + "' has no known instance: etcd is unreachable ("
                    + v.lastError() + ")";
            case NO_INSTANCES -> "no instance remains for " + service;
            default -> "the load balancer picked none of the " + v.instances().size() + " instance(s) of service '"
                    + service + "'";
        };
    }

    @Override
    public void evictOnRemoval(ConnectionProvider connections) {
        evictOnRemoval.add(connections);
    }

    @Override
    public void close() {
        watch.close();
        first.cancel(false);
    }
}
