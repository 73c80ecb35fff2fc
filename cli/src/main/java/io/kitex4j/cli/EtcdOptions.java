package io.kitex4j.cli;

import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.KeyLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** The etcd options every command shares; turned into an {@link EtcdClientConfig} in one place. */
final class EtcdOptions {

    @Option(names = "--etcd", split = ",", paramLabel = "URL",
            description = "etcd endpoints, comma-separated (http://host:port, https://host:port or host:port).")
    List<String> endpoints;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = KeyLayout.KITEX_PREFIX,
            description = "Key prefix, used verbatim (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--user", paramLabel = "NAME", description = "etcd user name.")
    String user;

    @Option(names = "--password", paramLabel = "PASS", description = "etcd password.")
    String password;

    @Option(names = "--cacert", paramLabel = "FILE", description = "CA certificate (PEM) to trust.")
    Path caCert;

    @Option(names = "--cert", paramLabel = "FILE", description = "Client certificate (PEM).")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "Client private key (PEM, PKCS#8).")
    Path key;

    @Option(names = "--dial-timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "Time to reach etcd before giving up (default: ${DEFAULT-VALUE}).")
    int dialTimeoutSeconds;

    /** Builds the config, or throws {@link UsageException} with a one-line reason. */
    EtcdClientConfig toConfig() {
        if (endpoints == null || endpoints.isEmpty()) {
            throw new UsageException("--etcd is required");
        }
        if ((user == null) != (password == null)) {
            throw new UsageException("--user and --password go together");
        }
        if ((cert == null) != (key == null)) {
            throw new UsageException("--cert and --key go together");
        }
        if (dialTimeoutSeconds <= 0) {
            throw new UsageException("--dial-timeout must be positive");
        }
        final EtcdClientConfig.Builder b = EtcdClientConfig.builder()
                .endpoints(endpoints)
                .dialTimeout(Duration.ofSeconds(dialTimeoutSeconds));
        if (user != null) {
            b.credentials(user, password);
        }
        if (cert != null) {
            b.tls(caCert, cert, key);
        } else if (caCert != null) {
            b.tls(caCert);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    KeyLayout layout() {
        return KeyLayout.withPrefix(prefix);
    }
}
