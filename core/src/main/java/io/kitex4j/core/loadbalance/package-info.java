/**
 * Load balancing at parity with Kitex's {@code pkg/loadbalance}: a {@link
 * io.kitex4j.core.loadbalance.LoadBalancer} builds a {@link io.kitex4j.core.loadbalance.Picker} for each
 * resolved instance list, and the picker chooses the instance of each RPC.
 *
 * <p>Start from {@link io.kitex4j.core.loadbalance.LoadBalancers}. Every policy has Kitex's name and,
 * for the same random rotation, Kitex's picks; consistent hashing sends a key to the same instance
 * as a Go client of Kitex up to v0.16.1. The tests check this against output of Kitex v0.16.1 itself.
 */
package io.kitex4j.core.loadbalance;
