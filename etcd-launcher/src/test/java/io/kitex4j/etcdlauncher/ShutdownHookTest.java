package io.kitex4j.etcdlauncher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ShutdownHookTest {

    @Test
    void etcdDiesWithTheJvmThatStartedIt() throws Exception {
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        final Process child = new ProcessBuilder(List.of(java.toString(),
                                                         "-cp", System.getProperty("java.class.path"),
                                                         AbandonedClusterMain.class.getName()))
                .redirectErrorStream(true)
                .start();
        try {
            final String ready = readReadyLine(child);
            final String[] parts = ready.split(" ", 3);
            final long etcdPid = Long.parseLong(parts[1]);
            final Path baseDir = Path.of(parts[2]);
            final Optional<ProcessHandle> etcd = ProcessHandle.of(etcdPid);
            assertThat(etcd).isPresent();
            assertThat(etcd.get().isAlive()).isTrue();
            assertThat(baseDir).isDirectory();

            // SIGTERM, as a build tool or CI would send to a test JVM it gives up on; close() is never called.
            child.destroy();
            assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();

            etcd.get().onExit().get(10, TimeUnit.SECONDS);
            assertThat(etcd.get().isAlive()).isFalse();
            assertThat(Files.exists(baseDir)).isFalse();
        } finally {
            child.destroyForcibly();
        }
    }

    private static String readReadyLine(Process child) throws Exception {
        final BufferedReader reader =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        final StringBuilder output = new StringBuilder();
        // The child's logging may print first; the marker line is the one that matters.
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            if (line.startsWith("READY ")) {
                return line;
            }
            output.append(line).append('\n');
        }
        throw new AssertionError("The child JVM exited without starting etcd:\n" + output);
    }
}
