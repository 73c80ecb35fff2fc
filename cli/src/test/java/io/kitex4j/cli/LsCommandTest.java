package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.kitex4j.testing.EtcdExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kitex4j ls} against a real etcd holding values as a Go Kitex server (or a hand-written
 * tool) writes them: the weight a Kitex client uses beside the stored one, and {@code null} tags.
 */
class LsCommandTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.single();

    private static final String PREFIX = "kitex/registry-etcd/ls.weights/";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream savedOut;

    @BeforeAll
    static void putGoWrittenValues() throws Exception {
        try (Client c = ETCD.newClient()) {
            // Go's encoding/json writes a nil map as null; a weight of 0 is what WithWeight(0) or a
            // hand-written value leaves; negative weights are written as given.
            put(c, PREFIX + "10.0.0.1:1", "{\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":0,\"tags\":null}");
            put(c, PREFIX + "10.0.0.2:2", "{\"network\":\"tcp\",\"address\":\"10.0.0.2:2\",\"weight\":-3,\"tags\":null}");
            put(c, PREFIX + "10.0.0.3:3", "{\"network\":\"tcp\",\"address\":\"10.0.0.3:3\",\"weight\":7,\"tags\":{}}");
            put(c, PREFIX + "10.0.0.4:4", "{\"network\":\"tcp\",\"address\":\"10.0.0.4:4\",\"weight\":10}");
            put(c, PREFIX + "10.0.0.5:5",
                    "{\"network\":\"tcp\",\"address\":\"10.0.0.5:5\",\"weight\":0,\"tags\":{\"zone\":\"z1\"}}");
        }
    }

    private static void put(Client c, String key, String value) throws Exception {
        c.getKVClient().put(ByteSequence.from(key, StandardCharsets.UTF_8),
                ByteSequence.from(value, StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
    }

    @BeforeEach
    void captureStdout() {
        savedOut = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStdout() {
        System.setOut(savedOut);
    }

    private int ls(String... extra) {
        final String[] args = new String[extra.length + 3];
        args[0] = "ls";
        args[1] = "--etcd";
        args[2] = ETCD.endpoints().get(0);
        System.arraycopy(extra, 0, args, 3, extra.length);
        return Kitex4jCli.run(args, new PrintWriter(new StringWriter(), true));
    }

    @Test
    void jsonShowsTheWeightAKitexClientUsesTheStoredOneWhenDifferentAndNullTags() {
        assertThat(ls("--json", "ls.weights")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "{\"service\":\"ls.weights\",\"network\":\"tcp\",\"address\":\"10.0.0.1:1\",\"weight\":10,"
                        + "\"storedWeight\":0,\"tags\":null}",
                "{\"service\":\"ls.weights\",\"network\":\"tcp\",\"address\":\"10.0.0.2:2\",\"weight\":10,"
                        + "\"storedWeight\":-3,\"tags\":null}",
                "{\"service\":\"ls.weights\",\"network\":\"tcp\",\"address\":\"10.0.0.3:3\",\"weight\":7,\"tags\":{}}",
                "{\"service\":\"ls.weights\",\"network\":\"tcp\",\"address\":\"10.0.0.4:4\",\"weight\":10,\"tags\":null}",
                "{\"service\":\"ls.weights\",\"network\":\"tcp\",\"address\":\"10.0.0.5:5\",\"weight\":10,"
                        + "\"storedWeight\":0,\"tags\":{\"zone\":\"z1\"}}");
    }

    @Test
    void textShowsTheStoredWeightBesideTheOneUsed() {
        assertThat(ls("ls.weights")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "ls.weights\t10.0.0.1:1\tweight=10 (stored 0)",
                "ls.weights\t10.0.0.2:2\tweight=10 (stored -3)",
                "ls.weights\t10.0.0.3:3\tweight=7",
                "ls.weights\t10.0.0.4:4\tweight=10",
                "ls.weights\t10.0.0.5:5\tweight=10 (stored 0)\ttags=zone=z1");
    }
}
