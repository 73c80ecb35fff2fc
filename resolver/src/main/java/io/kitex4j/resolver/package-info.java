/**
 * Service discovery for Kitex services registered in etcd.
 *
 * <p>A {@link io.kitex4j.core.discovery.Resolver} hands out {@link io.kitex4j.core.discovery.ServiceWatch}es:
 * live, shared views of one service's instances, readable at any time without blocking
 * ({@link io.kitex4j.core.discovery.ServiceWatch#snapshot()}) and observable
 * ({@link io.kitex4j.core.discovery.ResolverListener}). {@link io.kitex4j.resolver.EtcdResolver} is the
 * etcd implementation, compatible with Go's {@code kitex-contrib/registry-etcd} and with Hertz's
 * etcd registry, but driven by an etcd watch instead of a 5-second poll.
 */
package io.kitex4j.resolver;
