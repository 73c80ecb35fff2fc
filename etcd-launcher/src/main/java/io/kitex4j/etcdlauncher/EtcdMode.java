package io.kitex4j.etcdlauncher;

/**
 * How the etcd members started by {@link EtcdCluster} and {@link EtcdExtension} are secured.
 */
public enum EtcdMode {
    /**
     * Plain-text gRPC on {@code http://} client URLs, no authentication.
     */
    PLAIN,
    /**
     * Plain-text gRPC with etcd authentication enabled: a {@code root} user with a random password is
     * created and granted the {@code root} role before auth is switched on.
     */
    AUTH,
    /**
     * TLS on {@code https://} client URLs with mutual authentication ({@code --client-cert-auth}), using a
     * CA, server and client certificate generated for each cluster. Peer traffic stays plain {@code http://}.
     */
    TLS
}
