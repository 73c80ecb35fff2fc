package io.kitex4j.thriftrpc.client;

import io.kitex4j.core.discovery.Instance;
import io.kitex4j.core.loadbalance.InstanceGate;
import io.kitex4j.core.loadbalance.LoadBalancer;
import io.kitex4j.core.loadbalance.Picker;
import java.util.List;

/**
 * A client's use of the process-wide {@link RefusedAddresses}: its pickers leave marked addresses
 * out, and its calls report their connects with this client's backoff bounds.
 */
record RefusedInstancePolicy(RefusedAddresses refused, long initialBackoffNanos, long maxBackoffNanos) {


    /**
     * Reports a call's failure to get a connection to {@code address}. (Successes are reported by
     * the pools, for new connections only: a pooled connection handed out after the server died
     * proves nothing.)
     */
    void onConnectFailed(String address, Throwable failure) {
        if (RefusedAddresses.isRefusal(failure)) {
            refused.onRefused(address, initialBackoffNanos, maxBackoffNanos);
        }
    }

    /**
     * A picker from {@code balancer}, avoiding refused instances if {@code policy} is not null and asking
     * {@code gate} if it is not null.
     */
    static Picker newPicker(RefusedInstancePolicy policy, InstanceGate gate, LoadBalancer balancer,
                            List<Instance> instances) {
        if (policy == null && gate == null) {
            return balancer.newPicker(instances);
        }
        return new AvoidingPicker(instances, balancer, policy != null ? policy.refused() : null, gate);
    }
}
