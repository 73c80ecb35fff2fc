package io.kitex4j.etcdlauncher;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * File helpers for temporary etcd directories and logs.
 */
final class FileSupport {

    /**
     * Deletes {@code path} and everything below it; a missing path is not an error.
     */
    static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + path, e);
        }
    }

    static void deleteRecursivelyQuietly(Path path) {
        try {
            deleteRecursively(path);
        } catch (RuntimeException ignored) {
            // Best effort: used where nobody could act on the failure anyway.
        }
    }

    static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Returns at most the last {@code maxLines} lines of {@code file} written after byte {@code fromOffset},
     * reading at most the last 64 KiB, so that a huge log cannot blow up an exception message.
     */
    static String tail(Path file, long fromOffset, int maxLines) {
        final byte[] bytes;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            final long end = raf.length();
            final long start = Math.max(Math.max(0, fromOffset), end - 64 * 1024);
            if (start >= end) {
                return "";
            }
            bytes = new byte[(int) (end - start)];
            raf.seek(start);
            raf.readFully(bytes);
        } catch (IOException e) {
            return "<cannot read " + file + ": " + e + '>';
        }
        final String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\r?\n");
        final Deque<String> last = new ArrayDeque<>(maxLines);
        for (String line : lines) {
            if (last.size() == maxLines) {
                last.removeFirst();
            }
            last.addLast(line);
        }
        return String.join("\n", last);
    }

    private FileSupport() {}
}
