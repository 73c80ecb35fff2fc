package io.kitex4j.etcdlauncher;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Kills every etcd process still running, and deletes the temporary directories, when the JVM shuts down,
 * so that a test run that never reaches {@code close()} (crash, {@code System.exit}, Ctrl-C) leaves nothing behind.
 */
final class ChildProcessReaper {

    private static final Set<Process> processes = ConcurrentHashMap.newKeySet();
    private static final Set<Path> directories = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcessReaper::reapAll, "kitex4j-etcd-reaper"));
    }

    static void register(Process process) {
        processes.add(process);
    }

    static void unregister(Process process) {
        processes.remove(process);
    }

    static void registerDirectory(Path directory) {
        directories.add(directory);
    }

    static void unregisterDirectory(Path directory) {
        directories.remove(directory);
    }

    private static void reapAll() {
        // No logging here: the logging backend may already have been shut down by its own hook.
        for (Process process : processes) {
            process.destroyForcibly();
        }
        for (Process process : processes) {
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (Path directory : directories) {
            FileSupport.deleteRecursivelyQuietly(directory);
        }
    }

    private ChildProcessReaper() {}
}
