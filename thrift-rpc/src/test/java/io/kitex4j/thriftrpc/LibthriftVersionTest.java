package io.kitex4j.thriftrpc;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.thrift.TBase;
import org.junit.jupiter.api.Test;

/**
 * Makes the libthrift compatibility run honest: when it says it runs on another libthrift, the
 * classes really come from that jar, so a misconfigured run fails instead of testing nothing new.
 */
class LibthriftVersionTest {

    @Test
    void theExpectedLibthriftIsLoaded() {
        final String expected = System.getProperty("kitex4j.expectedLibthrift", "0.17.0");
        final String jar = TBase.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(jar).contains("libthrift-" + expected + ".jar");
    }
}
