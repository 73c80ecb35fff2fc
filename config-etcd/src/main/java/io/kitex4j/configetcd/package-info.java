/**
 * Dynamic Kitex governance from etcd, compatible with kitex-contrib/config-etcd v0.2.0: the
 * {@link io.kitex4j.configetcd.EtcdConfigWatcher} reads and watches the same keys and JSON
 * ({@code /KitexConfig/<caller>/<callee>/{retry,rpc_timeout,circuit_break}} and
 * {@code /KitexConfig/<server>/limit}) and turns them into a live
 * {@link io.kitex4j.governance.ClientPolicySource} and {@link io.kitex4j.configetcd.ServerLimits};
 * {@link io.kitex4j.configetcd.KitexConfigParser} parses the values strictly.
 */
package io.kitex4j.configetcd;
