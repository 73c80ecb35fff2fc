package io.kitex4j.testing.containers;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What one run of the Go peer's client printed: a JSON object per line, {@code "event":"call"} for each call
 * (unless {@code -quiet}) and one {@code "event":"summary"} with {@code calls}, {@code ok}, {@code failed} and
 * {@code servers} (calls per answering server, for action {@code whoami}).
 */
public final class GoClientRun {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> command;
    private final int exitCode;
    private final String stdout;
    private final String stderr;
    private final List<JsonNode> lines;

    private GoClientRun(List<String> command, int exitCode, String stdout, String stderr) {
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.stdout = stdout;
        this.stderr = stderr;
        final List<JsonNode> parsed = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith("{")) {
                try {
                    parsed.add(JSON.readTree(line));
                } catch (IOException e) {
                    // not one of the client's lines: kept in stdout() only
                }
            }
        }
        this.lines = Collections.unmodifiableList(parsed);
    }

    /**
     * A run from what the client printed, wherever it ran (kitex4j's process-based tests run it on the host).
     *
     * @param command the command line, for {@link #toString()}
     */
    public static GoClientRun of(List<String> command, int exitCode, String stdout, String stderr) {
        return new GoClientRun(command, exitCode, stdout, stderr);
    }

    /** The client's exit code (0: every call succeeded). */
    public int exitCode() {
        return exitCode;
    }

    /** Every JSON line, in order. */
    public List<JsonNode> lines() {
        return lines;
    }

    /** The {@code "event":"call"} lines. */
    public List<JsonNode> calls() {
        return lines.stream().filter(l -> "call".equals(l.path("event").asText())).toList();
    }

    /** The (last) {@code "event":"summary"} line; fails with the whole output when there is none. */
    public JsonNode summary() {
        return lines.stream().filter(l -> "summary".equals(l.path("event").asText())).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("the Go client printed no summary: " + this));
    }

    /** The first line that is not the summary (a single call's result); fails when there is none. */
    public JsonNode first() {
        return lines.stream().filter(l -> !"summary".equals(l.path("event").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("the Go client printed no line: " + this));
    }

    /** Standard output. */
    public String stdout() {
        return stdout;
    }

    /** Standard error. */
    public String stderr() {
        return stderr;
    }

    @Override
    public String toString() {
        return String.join(" ", command) + " -> exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
    }
}
