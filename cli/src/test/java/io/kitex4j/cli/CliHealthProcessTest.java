package io.kitex4j.cli;

import static io.kitex4j.cli.CliProcessTest.cli;
import static io.kitex4j.cli.CliProcessTest.lines;
import static io.kitex4j.cli.CliProcessTest.stderr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kitex4j.testing.EtcdExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kitex4j serve --etcd ... --metrics ...} as a real process against a real etcd of its own (stopped and
 * started by the test): {@code /health} and the registry meters follow the registration through an etcd outage.
 */
class CliHealthProcessTest {

    @RegisterExtension
    final EtcdExtension etcd = EtcdExtension.single();

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void healthAndRegistryMetersFollowAnEtcdOutage() throws Exception {
        final Process server = cli("serve", "--addr", "127.0.0.1:0", "--etcd", etcd.endpoints().get(0),
                "--service", "cli.health", "--metrics", "127.0.0.1:0");
        try {
            final BlockingQueue<String> out = lines(server);
            final String metricsLine = out.poll(30, TimeUnit.SECONDS);
            assertThat(metricsLine).as("stderr: %s", stderr()).matches("metrics: http://127\\.0\\.0\\.1:\\d+/metrics");
            final URI metrics = URI.create(metricsLine.substring("metrics: ".length()));
            final URI health = metrics.resolve("/health");
            final String serving = out.poll(30, TimeUnit.SECONDS);
            assertThat(serving).as("stderr: %s", stderr()).startsWith("serving EchoServer on 127.0.0.1:")
                    .contains(" registered as cli.health");
            final String address = serving.replaceAll(".* on (127\\.0\\.0\\.1:\\d+) .*", "$1");
            final String key = "kitex/registry-etcd/cli.health/" + address;

            final HttpResponse<String> up = get(health);
            assertThat(up.statusCode()).isEqualTo(200);
            assertThat(up.headers().firstValue("Content-Type")).contains("application/json");
            final JsonNode upJson = JSON.readTree(up.body());
            assertThat(upJson.get("status").asText()).isEqualTo("UP");
            assertThat(upJson.get("registrations").size()).isEqualTo(1);
            assertThat(upJson.get("registrations").get(key).get("state").asText()).isEqualTo("REGISTERED");
            assertThat(upJson.get("registrations").get(key).get("status").asText()).isEqualTo("UP");
            final String registered = "kitex_registry_registration_state{address=\"" + address
                    + "\",service=\"cli.health\",state=\"%s\"} %s";
            assertThat(get(metrics).body().lines()).contains(registered.formatted("REGISTERED", "1.0"),
                    registered.formatted("RETRYING", "0.0"));

            etcd.cluster().member(0).stop();
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    JSON.readTree(get(health).body()).get("status").asText().equals("DEGRADED"));
            final HttpResponse<String> degraded = get(health);
            assertThat(degraded.statusCode()).as("DEGRADED still serves: 200").isEqualTo(200);
            final JsonNode reg = JSON.readTree(degraded.body()).get("registrations").get(key);
            assertThat(reg.get("state").asText()).isEqualTo("RETRYING");
            assertThat(reg.get("status").asText()).isEqualTo("DEGRADED");
            assertThat(get(metrics).body().lines()).contains(registered.formatted("REGISTERED", "0.0"),
                    registered.formatted("RETRYING", "1.0"));

            etcd.cluster().member(0).start();
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    JSON.readTree(get(health).body()).get("status").asText().equals("UP"));
            assertThat(JSON.readTree(get(health).body()).get("registrations").get(key).get("state").asText())
                    .isEqualTo("REGISTERED");

            server.toHandle().destroy();
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            server.destroyForcibly();
        }
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
