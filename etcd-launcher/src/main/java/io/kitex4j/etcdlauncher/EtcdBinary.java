package io.kitex4j.etcdlauncher;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the etcd executable: an explicit path, else {@code ETCD_BIN}, else {@code etcd} on {@code PATH}.
 */
final class EtcdBinary {

    static final String ETCD_BIN_ENV = "ETCD_BIN";

    private static final String INSTALL_HINT =
            "Install etcd (Debian/Ubuntu: `apt-get install -y etcd-server`) "
            + "or set the " + ETCD_BIN_ENV + " environment variable to the etcd executable.";

    /**
     * Returns the etcd executable to run.
     *
     * @param explicitBinary a binary chosen by the caller, or {@code null} to look it up
     * @param environment the environment to read {@code ETCD_BIN} and {@code PATH} from
     * @throws IllegalStateException if no executable etcd can be found; tests must fail rather than skip,
     *                               so that a machine without etcd cannot pass silently
     */
    static Path locate(Path explicitBinary, Map<String, String> environment) {
        if (explicitBinary != null) {
            return requireExecutable(explicitBinary, "the configured etcd binary");
        }
        final String fromEnvironment = environment.get(ETCD_BIN_ENV);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            final Path binary;
            try {
                binary = Path.of(fromEnvironment.trim());
            } catch (InvalidPathException e) {
                throw new IllegalStateException(ETCD_BIN_ENV + '=' + fromEnvironment + " is not a valid path. "
                                                + INSTALL_HINT, e);
            }
            return requireExecutable(binary, ETCD_BIN_ENV + '=' + fromEnvironment);
        }
        final String path = environment.getOrDefault("PATH", "");
        for (String directory : path.split(File.pathSeparator)) {
            if (directory.isBlank()) {
                continue;
            }
            try {
                final Path candidate = Path.of(directory, "etcd");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            } catch (InvalidPathException ignored) {
                // A malformed PATH entry cannot hold etcd; keep looking in the others.
            }
        }
        throw new IllegalStateException("Cannot find the etcd executable: " + ETCD_BIN_ENV
                                        + " is not set and there is no 'etcd' on PATH (" + path + "). "
                                        + INSTALL_HINT);
    }

    private static Path requireExecutable(Path binary, String description) {
        if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
            throw new IllegalStateException(description + " (" + binary + ") is not an executable file. "
                                            + INSTALL_HINT);
        }
        return binary;
    }

    private EtcdBinary() {}
}
