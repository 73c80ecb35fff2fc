package io.kitex4j.micrometer;

import io.kitex4j.testing.ApiBoundary;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link DiscoveryMetrics}'s public API shows no type of {@code io.kitex4j.micrometer.internal}. */
class DiscoveryMetricsApiBoundaryTest {

    @Test
    void noInternalTypeInPublicApi() {
        ApiBoundary.assertNoInternalTypes(Path.of("target/classes"));
    }
}
