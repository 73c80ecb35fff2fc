package io.kitex4j.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import com.fasterxml.jackson.databind.JsonNode;

import io.kitex4j.interop.GoPeers.GoServer;

/**
 * Go client against Go server: the reference behaviour of Kitex itself for the {@link GoClientContract}, the cells
 * where kitex4j's answer could be questioned, so that each difference the matrix asserts is shown to be Kitex's
 * own. {@link GoClientToJavaServerTest} runs the same contract against a kitex4j server.
 */
class GoToGoBaselineTest extends GoClientContract {

    private static GoServer go;

    @BeforeAll
    static void start() {
        go = GoPeers.server("--service", "interop", "--name", "go-a");
    }

    @AfterAll
    static void stop() {
        if (go != null) {
            go.close();
        }
    }

    @Override
    protected String serverAddress() {
        return go.address();
    }

    @Override
    protected String serverName() {
        return "go-a";
    }

    /** Every method round-trips, undeclared enum values included. */
    @Override
    protected List<String> methodMismatches() {
        return List.of();
    }

    /** The Go handler reports no raw TTHeader (Kitex's rpcinfo has none). */
    @Override
    protected void assertRawHeaderAsTheServerSawIt(String transport, JsonNode info) {
        assertThat(info.has("headerStrings")).as("%s", info).isFalse();
    }
}
