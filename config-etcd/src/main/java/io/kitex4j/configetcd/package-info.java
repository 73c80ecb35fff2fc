/**
 * Dynamic Kitex governance from etcd, compatible with kitex-contrib/config-etcd.
 */
package io.kitex4j.configetcd;
