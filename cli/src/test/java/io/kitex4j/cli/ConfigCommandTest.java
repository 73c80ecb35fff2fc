package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.testing.EtcdExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code kitex4j config get|put|watch} and {@code call --retry/--backup-ms} against a real etcd. */
class ConfigCommandTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final String GOOD_RETRY = "{\"*\":{\"enable\":true,\"type\":0,\"failure_policy\":"
            + "{\"stop_policy\":{\"max_retry_times\":2}}}}";
    private static final String BAD_RETRY = "{\"*\":{\"enable\":true,\"type\":0,\"failure_policy\":"
            + "{\"stop_policy\":{\"max_retry_times\":-1}}}}";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final StringWriter err = new StringWriter();
    private PrintStream savedOut;

    @BeforeEach
    void captureStdout() {
        savedOut = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStdout() {
        System.setOut(savedOut);
    }

    private int run(String... args) {
        return Kitex4jCli.run(args, new PrintWriter(err, true));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String etcd() {
        return String.join(",", ETCD.endpoints());
    }

    private static String get(String key) throws Exception {
        try (Client c = ETCD.newClient()) {
            final var kvs = c.getKVClient().get(ByteSequence.from(key, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS)
                    .getKvs();
            return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void putValidatesThenWrites_getShowsKeysAndVerdicts() throws Exception {
        assertThat(run("config", "put", "--etcd", etcd(), "--caller", "cli.a", "--callee", "cli.b",
                "--category", "retry", GOOD_RETRY)).isZero();
        assertThat(stdout()).contains("put /KitexConfig/cli.a/cli.b/retry");
        assertThat(get("/KitexConfig/cli.a/cli.b/retry")).isEqualTo(GOOD_RETRY);

        // Refused: not written, one line naming the field.
        assertThat(run("config", "put", "--etcd", etcd(), "--caller", "cli.a", "--callee", "cli.b",
                "--category", "retry", BAD_RETRY)).isEqualTo(2);
        assertThat(err.toString()).contains("refusing to put an invalid retry value: "
                + "[\"*\"].failure_policy.stop_policy.max_retry_times: -1 (expected: 0..5").contains("--force");
        assertThat(get("/KitexConfig/cli.a/cli.b/retry")).isEqualTo(GOOD_RETRY);
        assertThat(run("config", "put", "--etcd", etcd(), "--caller", "cli.a", "--callee", "cli.b",
                "--category", "rpc_timeout", "{\"*\":")).isEqualTo(2);
        assertThat(err.toString()).contains("refusing to put an invalid rpc_timeout value: value: not JSON");

        // get: every client key of the pair, absent ones included.
        out.reset();
        assertThat(run("config", "get", "--etcd", etcd(), "--caller", "cli.a", "--callee", "cli.b")).isZero();
        assertThat(stdout().lines()).containsExactly(
                "/KitexConfig/cli.a/cli.b/retry = " + GOOD_RETRY,
                "/KitexConfig/cli.a/cli.b/rpc_timeout (absent: defaults)",
                "/KitexConfig/cli.a/cli.b/circuit_break (absent: defaults)");

        // --force writes it anyway, and get says kitex4j rejects it.
        assertThat(run("config", "put", "--etcd", etcd(), "--caller", "cli.a", "--callee", "cli.b",
                "--category", "retry", "--force", BAD_RETRY)).isZero();
        assertThat(get("/KitexConfig/cli.a/cli.b/retry")).isEqualTo(BAD_RETRY);
        out.reset();
        assertThat(run("config", "get", "--etcd", etcd(), "--caller", "cli.a", "--callee", "cli.b",
                "--category", "retry")).isEqualTo(2);
        assertThat(stdout()).contains("rejected by kitex4j: [\"*\"].failure_policy.stop_policy.max_retry_times: -1");
    }

    @Test
    void serverLimitAndPrefix() throws Exception {
        assertThat(run("config", "put", "--etcd", etcd(), "--server", "cli.s", "--category", "limit",
                "--config-prefix", "/Other", "{\"connection_limit\":10,\"qps_limit\":100}")).isZero();
        assertThat(get("/Other/cli.s/limit")).isEqualTo("{\"connection_limit\":10,\"qps_limit\":100}");
        // watch: a key present at the start is one event.
        out.reset();
        assertThat(run("config", "watch", "--etcd", etcd(), "--server", "cli.s", "--config-prefix", "/Other",
                "--count", "1")).isZero();
        assertThat(stdout().lines()).containsExactly(
                "applied /Other/cli.s/limit = {\"connection_limit\":10,\"qps_limit\":100}");
        assertThat(run("config", "put", "--etcd", etcd(), "--server", "cli.s", "--category", "retry", "{}")).isEqualTo(2);
        assertThat(err.toString()).contains("--category retry is a client category: use --caller and --callee");
        assertThat(run("config", "get", "--etcd", etcd(), "--caller", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("--caller and --callee go together");
        assertThat(run("config", "put", "--etcd", etcd(), "--caller", "a", "--callee", "b", "{}")).isEqualTo(2);
        assertThat(err.toString()).contains("--category is required");
    }

    @Test
    void watchPrintsAppliedAndRejected() throws Exception {
        final CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> run("config", "watch", "--etcd",
                etcd(), "--caller", "cli.w", "--callee", "cli.x", "--count", "3"));
        await().atMost(Duration.ofSeconds(10)).until(() -> err.toString().contains("watching"));
        try (Client c = ETCD.newClient()) {
            final ByteSequence key = ByteSequence.from("/KitexConfig/cli.w/cli.x/rpc_timeout", StandardCharsets.UTF_8);
            c.getKVClient().put(key, ByteSequence.from("{\"*\":{\"rpc_timeout_ms\":100}}", StandardCharsets.UTF_8))
                    .get(5, TimeUnit.SECONDS);
            c.getKVClient().put(key, ByteSequence.from("{\"*\":{\"rpc_timeout_ms\":-1}}", StandardCharsets.UTF_8))
                    .get(5, TimeUnit.SECONDS);
            c.getKVClient().delete(key).get(5, TimeUnit.SECONDS);
        }
        assertThat(watch.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(stdout().lines()).containsExactly(
                "applied /KitexConfig/cli.w/cli.x/rpc_timeout = {\"*\":{\"rpc_timeout_ms\":100}}",
                "rejected /KitexConfig/cli.w/cli.x/rpc_timeout: [\"*\"].rpc_timeout_ms: -1 (expected: 0..2147483647 ms)"
                        + " (last good config kept)",
                "deleted /KitexConfig/cli.w/cli.x/rpc_timeout (defaults)");
    }

    @Test
    void callRetryOptionsAreCheckedAgainstKitexBounds() {
        assertThat(run("call", "--addr", "127.0.0.1:1", "--retry", "9")).isEqualTo(2);
        assertThat(err.toString()).contains("--retry: maxRetryTimes: 9 (expected: 0..5 for a failure policy)");
        assertThat(run("call", "--addr", "127.0.0.1:1", "--backup-ms", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--backup-ms: retryDelay: PT0S (expected: > 0 for a backup policy)");
        assertThat(CallCommand.retryPolicy(2, 30L).type()).isEqualTo(io.kitex4j.governance.RetryPolicy.Type.MIXED);
        assertThat(CallCommand.retryPolicy(null, null)).isNull();
    }
}
