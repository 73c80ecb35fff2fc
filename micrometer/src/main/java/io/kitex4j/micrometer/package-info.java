/**
 * Micrometer meters for kitex4j: requests, durations, active requests, timeouts and attempts of clients and
 * servers; connection pools; the etcd resolver's views and the etcd registry's registrations.
 */
package io.kitex4j.micrometer;
