package io.kitex4j.testing;

import static io.kitex4j.testing.EtcdTestSupport.get;
import static io.kitex4j.testing.EtcdTestSupport.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.Client;
import io.kitex4j.etcdlauncher.EtcdCluster;
import io.kitex4j.etcdlauncher.EtcdMode;

class ExtensionLifecycleTest {

    @RegisterExtension
    static final EtcdExtension classScoped = EtcdExtension.single();

    private static EtcdCluster clusterSeenInBeforeAll;

    @BeforeAll
    static void rememberCluster() {
        clusterSeenInBeforeAll = classScoped.cluster();
    }

    @Test
    void staticExtensionRunsOneClusterForTheClass() {
        assertThat(classScoped.cluster()).isSameAs(clusterSeenInBeforeAll);
        assertThat(classScoped.cluster().member(0).isRunning()).isTrue();
    }

    @Nested
    class NestedClass {

        @Test
        void sharesTheOuterClassCluster() {
            assertThat(classScoped.cluster()).isSameAs(clusterSeenInBeforeAll);
        }
    }

    @Nested
    class InstanceField {

        // Registered on an instance field, so JUnit only calls beforeEach/afterEach: one cluster per test.
        @RegisterExtension
        final EtcdExtension perTest = EtcdExtension.single();

        @Test
        void firstTestGetsAFreshCluster() throws Exception {
            assertFreshClusterThenWrite();
        }

        @Test
        void secondTestGetsAFreshCluster() throws Exception {
            assertFreshClusterThenWrite();
        }

        private void assertFreshClusterThenWrite() throws Exception {
            assertThat(perTest.cluster()).isNotSameAs(clusterSeenInBeforeAll);
            assertThat(perTest.endpoints()).doesNotContainAnyElementsOf(classScoped.endpoints());
            try (Client client = perTest.newClient()) {
                // The same key in both tests: it must be missing each time, or the cluster was reused.
                assertThat(get(client, "/per-test/marker")).isNull();
                put(client, "/per-test/marker", "written");
            }
        }
    }

    @Test
    void accessorsFailClearlyWhenNotRunning() {
        final EtcdExtension neverStarted = EtcdExtension.builder().members(3).build();
        assertThat(neverStarted.mode()).isEqualTo(EtcdMode.PLAIN);
        org.assertj.core.api.Assertions.assertThatThrownBy(neverStarted::cluster)
                                       .isInstanceOf(IllegalStateException.class)
                                       .hasMessageContaining("@RegisterExtension");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EtcdExtension.builder().members(0))
                                       .isInstanceOf(IllegalArgumentException.class);
        assertThat(List.of(EtcdMode.values())).containsExactly(EtcdMode.PLAIN, EtcdMode.AUTH, EtcdMode.TLS);
    }
}
