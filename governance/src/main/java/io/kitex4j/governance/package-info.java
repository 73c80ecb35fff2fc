/**
 * Kitex service governance for kitex4j clients: {@link io.kitex4j.governance.RetryPolicy failure retry,
 * backup and mixed requests}, service and instance circuit breakers and per-method
 * {@link io.kitex4j.governance.TimeoutPolicy timeouts}, configured as immutable
 * {@link io.kitex4j.governance.ClientPolicies} from code or from a dynamic
 * {@link io.kitex4j.governance.ClientPolicySource} (kitex4j-config-etcd).
 */
package io.kitex4j.governance;
