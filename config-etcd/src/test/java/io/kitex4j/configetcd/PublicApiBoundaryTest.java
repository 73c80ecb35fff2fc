package io.kitex4j.configetcd;

import io.kitex4j.testing.ApiBoundary;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The module's public/internal boundary: no public or protected signature of a class outside an
 * {@code .internal.} package mentions a type from one (see {@link ApiBoundary}).
 */
class PublicApiBoundaryTest {

    @Test
    void noPublicSignatureMentionsAnInternalType() {
        ApiBoundary.assertNoInternalTypes(Path.of("target/classes"));
    }
}
