package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;
import java.util.List;

/**
 * A load-balancing policy: a stateless factory of {@link Picker}s, one per instance list.
 *
 * <p>Rules for implementations:
 *
 * <ul>
 *   <li>A balancer holds no per-list state. It is immutable, thread-safe, and may be shared by any
 *       number of clients and services.
 *   <li>{@link #newPicker(List)} is called once each time the resolved instance list changes, not
 *       per RPC; it may do work proportional to the list (and, for some policies, to the sum of the
 *       weights). All per-RPC work happens in {@link Picker#pick(String)}.
 *   <li>{@link #newPicker(List)} never returns {@code null}. When no instance can be picked, the
 *       returned picker's {@code pick} returns {@code null} (Kitex's {@code DummyPicker}).
 * </ul>
 *
 * <p>Get instances from {@link LoadBalancers}.
 */
public interface LoadBalancer {

    /**
     * The policy name, identical to Kitex's {@code Loadbalancer.Name()}: {@code
     * "weight_round_robin"}, {@code "weight_random_with_alias_method"}, {@code
     * "interleaved_weighted_round_robin"} or {@code "consist"}. Kitex uses it as part of the key of
     * its shared balancer cache, so two balancers with the same name are assumed to behave alike.
     *
     * @return the Kitex policy name
     */
    String name();

    /**
     * Builds a picker for one instance list.
     *
     * <p>The list is copied: later changes to it do not affect the picker. Its order matters only as
     * it does in Kitex (the resolver keeps etcd's key order). Instances with an invalid weight are
     * handled as the policy documents (see {@link LoadBalancers}).
     *
     * @param instances the instances; neither the list nor an element may be {@code null}
     * @return a picker, never {@code null}
     * @throws NullPointerException if {@code instances} or one of its elements is {@code null}
     */
    Picker newPicker(List<Instance> instances);
}
