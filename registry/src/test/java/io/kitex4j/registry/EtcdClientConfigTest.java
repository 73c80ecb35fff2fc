package io.kitex4j.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link EtcdClientConfig} values: immutable, and {@link EtcdClientConfig#toBuilder()} derives variants. */
class EtcdClientConfigTest {

    @Test
    void toBuilderDerivesAVariantWithoutChangingTheOriginal() {
        final EtcdClientConfig base = EtcdClientConfig.builder()
                .endpoints("10.0.0.1:2379")
                .credentials("svc", "secret")
                .callTimeout(Duration.ofSeconds(2))
                .keepaliveTime(Duration.ofSeconds(20))
                .build();
        final EtcdClientConfig.Builder derived = base.toBuilder();
        final EtcdClientConfig variant = derived.endpoints("10.0.0.2:2379").dialTimeout(Duration.ofSeconds(9)).build();

        assertThat(variant.endpoints()).containsExactly(URI.create("http://10.0.0.1:2379"),
                                                        URI.create("http://10.0.0.2:2379"));
        assertThat(variant.username()).isEqualTo("svc");
        assertThat(variant.callTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(variant.keepaliveTime()).isEqualTo(Duration.ofSeconds(20));
        assertThat(variant.dialTimeout()).isEqualTo(Duration.ofSeconds(9));

        // The original, and a builder derived from it later, are untouched by the variant's changes.
        assertThat(base.endpoints()).containsExactly(URI.create("http://10.0.0.1:2379"));
        assertThat(base.dialTimeout()).isEqualTo(EtcdClientConfig.DEFAULT_DIAL_TIMEOUT);
        assertThat(base.toBuilder().build().endpoints()).containsExactly(URI.create("http://10.0.0.1:2379"));
        // Nor by the builder it came from, used again after build().
        derived.endpoints("10.0.0.3:2379");
        assertThat(variant.endpoints()).hasSize(2);
        assertThat(variant.toBuilder().build().endpoints()).hasSize(2);
    }

    @Test
    void anHttpsEndpointKeepsTlsInVariants() {
        final EtcdClientConfig tls = EtcdClientConfig.of("https://10.0.0.1:2379");
        assertThat(tls.isTls()).isTrue();
        final EtcdClientConfig variant = tls.toBuilder().callTimeout(Duration.ofSeconds(1)).build();
        assertThat(variant.isTls()).isTrue();
        assertThat(variant.endpoints()).containsExactly(URI.create("https://10.0.0.1:2379"));
    }
}
