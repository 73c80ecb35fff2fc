package io.kitex4j.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyLayoutTest {

    @Test
    void defaultLayoutHasNoLeadingSlash() {
        assertThat(KeyLayout.kitex().serviceKey("echo", "10.0.0.5:8888"))
                .isEqualTo("kitex/registry-etcd/echo/10.0.0.5:8888");
        assertThat(KeyLayout.kitex().servicePrefix("echo")).isEqualTo("kitex/registry-etcd/echo/");
    }

    @Test
    void customPrefixIsUsedVerbatim() {
        assertThat(KeyLayout.withPrefix("etcd/v1").serviceKey("echo", "h:1")).isEqualTo("etcd/v1/echo/h:1");
        assertThat(KeyLayout.withPrefix("/svc").serviceKey("echo", "h:1")).isEqualTo("/svc/echo/h:1");
        assertThat(KeyLayout.withPrefix("p/").serviceKey("echo", "h:1")).isEqualTo("p//echo/h:1");
    }

    @Test
    void emptyPrefixGivesALeadingSlashAsGoWithAuthConstructorsWrite() {
        assertThat(KeyLayout.withPrefix("").serviceKey("echo", "10.0.0.5:8888")).isEqualTo("/echo/10.0.0.5:8888");
    }

    @Test
    void hertzLayout() {
        assertThat(KeyLayout.hertz().serviceKey("echo", "[::1]:8888")).isEqualTo("hertz/registry-etcd/echo/[::1]:8888");
    }

    @Test
    void rejectsEmptyServiceNamesAndSlashes() {
        assertThatThrownBy(() -> KeyLayout.kitex().serviceKey("", "h:1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("service: must not be empty");
        assertThatThrownBy(() -> KeyLayout.kitex().serviceKey("a/b", "h:1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not contain '/'");
        assertThatThrownBy(() -> KeyLayout.kitex().servicePrefix("a/"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
