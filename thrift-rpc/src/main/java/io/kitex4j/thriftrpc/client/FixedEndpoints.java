package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.loadbalance.Picker;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A fixed list of instances (Kitex's {@code client.WithHostPorts}). */
final class FixedEndpoints implements Endpoints {

    private final List<Instance> instances;
    private final CompletableFuture<Picker> picker;

    /**
     * @param refusedInstances how to avoid instances that refuse connections; {@code null} to not
     * @param gate the instance gate to ask; {@code null} for none
     */
    FixedEndpoints(List<Instance> instances, LoadBalancer balancer, RefusedInstancePolicy refusedInstances,
                   InstanceGate gate) {
        this.instances = List.copyOf(instances);
        this.picker = CompletableFuture.completedFuture(
                RefusedInstancePolicy.newPicker(refusedInstances, gate, balancer, this.instances));
    }

    @Override
    public CompletableFuture<Picker> picker() {
        return picker;
    }

    @Override
    public String describeEmpty() {
        return "the load balancer picked none of " + instances.size() + " fixed address(es)";
    }

    @Override
    public void evictOnRemoval(ConnectionProvider connections) {
        // Never changes.
    }

    @Override
    public void close() {
        // Nothing to release.
    }
}
