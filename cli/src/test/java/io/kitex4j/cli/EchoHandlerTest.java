package io.kitex4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.core.Metainfo;
import io.kitex4j.idl.echo.Request;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The actions that answer as interop-tests' Go peer does: whoami and metainfo. */
class EchoHandlerTest {

    private final EchoHandler handler = new EchoHandler("java-1");

    @Test
    void whoamiAnswersTheServerName() {
        assertThat(handler.Echo(new Request("whoami", "ignored")).getMsg()).isEqualTo("java-1");
    }

    @Test
    void metainfoAnswersTheTransientsSortedByKey() {
        try (Metainfo.Scope scope = Metainfo.empty().withTransient("team", "payments").withTransient("from", "go")
                .withPersistent("trace", "t-1").attach()) {
            assertThat(handler.Echo(new Request("metainfo", "")).getMsg()).isEqualTo("from=go,team=payments");
        }
        assertThat(handler.Echo(new Request("metainfo", "")).getMsg()).isEmpty();
    }

    @Test
    void otherActionsEchoTheMessage() {
        assertThat(handler.Echo(new Request("echo", "hi")).getMsg()).isEqualTo("hi");
        assertThat(EchoHandler.formatTransients(Map.of("b", "2", "a", "1"))).isEqualTo("a=1,b=2");
    }
}
