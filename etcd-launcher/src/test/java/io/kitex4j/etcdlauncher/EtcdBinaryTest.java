package io.kitex4j.etcdlauncher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdBinaryTest {

    @Test
    void missingEtcdFailsWithInstallInstructions() {
        assertThatThrownBy(() -> EtcdBinary.locate(null, Map.of("PATH", "/nonexistent-a:/nonexistent-b")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("apt-get install -y etcd-server")
                .hasMessageContaining("ETCD_BIN");
    }

    @Test
    void etcdBinPointingNowhereFails() {
        assertThatThrownBy(() -> EtcdBinary.locate(null, Map.of("ETCD_BIN", "/nonexistent/etcd",
                                                                "PATH", "/usr/bin")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/nonexistent/etcd")
                .hasMessageContaining("apt-get install -y etcd-server");
    }

    @Test
    void etcdBinWinsOverPath(@TempDir Path directory) throws Exception {
        final Path fake = Files.writeString(directory.resolve("my-etcd"), "#!/bin/sh\n");
        assertThat(fake.toFile().setExecutable(true)).isTrue();
        assertThat(EtcdBinary.locate(null, Map.of("ETCD_BIN", fake.toString(), "PATH", "/usr/bin")))
                .isEqualTo(fake);
    }

    @Test
    void findsEtcdOnPath(@TempDir Path directory) throws Exception {
        final Path fake = Files.writeString(directory.resolve("etcd"), "#!/bin/sh\n");
        assertThat(fake.toFile().setExecutable(true)).isTrue();
        assertThat(EtcdBinary.locate(null, Map.of("PATH", "/nonexistent:" + directory))).isEqualTo(fake);
    }

    @Test
    void explicitBinaryMustBeExecutable(@TempDir Path directory) throws Exception {
        final Path notExecutable = Files.writeString(directory.resolve("etcd"), "not a program");
        assertThatThrownBy(() -> EtcdBinary.locate(notExecutable, Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not an executable file");
        assertThatThrownBy(() -> EtcdCluster.builder().etcdBinary(directory.resolve("missing")).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("apt-get install -y etcd-server");
    }
}
