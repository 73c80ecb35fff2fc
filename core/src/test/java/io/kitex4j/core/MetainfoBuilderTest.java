package io.kitex4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Metainfo.Builder}: the same values, in the same order, as the chained {@code with...} calls. */
class MetainfoBuilderTest {

    /** A received metainfo: transients t1, t2 now upstream, persistent p. */
    private static Metainfo received() {
        return Metainfo.fromHeaderStrings(Map.of("RPC_TRANSIT_t1", "a", "RPC_TRANSIT_t2", "b", "RPC_PERSIST_p", "c"))
                       .forNextHop();
    }

    @Test
    void equalsTheChainedCallsInOrder() {
        final Metainfo base = Metainfo.empty().withTransient("x", "0").withPersistent("p", "1");
        final Metainfo chained = base.withTransient("service.name", "svc").withTransient("b3", "tid-sid-1")
                                     .withTransient("x", "2").withPersistent("q", "3");
        final Metainfo built = base.toBuilder().putTransient("service.name", "svc").putTransient("b3", "tid-sid-1")
                                   .putTransient("x", "2").putPersistent("q", "3").build();
        assertThat(built).isEqualTo(chained);
        assertThat(List.copyOf(built.toHeaderStrings().entrySet())).isEqualTo(
                List.copyOf(chained.toHeaderStrings().entrySet()));
        assertThat(List.copyOf(built.toHeaderStrings().keySet())).containsExactly(
                "RPC_TRANSIT_x", "RPC_TRANSIT_service.name", "RPC_TRANSIT_b3", "RPC_PERSIST_p", "RPC_PERSIST_q");
        assertThat(built.transientValue("x")).isEqualTo("2");
    }

    @Test
    void aTransientReplacesAnUpstreamValueAsWithTransientDoes() {
        final Metainfo built = received().toBuilder().putTransient("t1", "new").build();
        assertThat(built).isEqualTo(received().withTransient("t1", "new"));
        assertThat(built.outgoingTransients()).isEqualTo(Map.of("t1", "new"));
        assertThat(built.transients()).isEqualTo(Map.of("t1", "new", "t2", "b"));
        assertThat(built.toHeaderStrings()).isEqualTo(Map.of("RPC_TRANSIT_t1", "new", "RPC_PERSIST_p", "c"));
    }

    @Test
    void removalsAsWithoutDoes() {
        final Metainfo base = received().withTransient("own", "1");
        assertThat(base.toBuilder().removeTransient("t2").removeTransient("own").removePersistent("p").build())
                .isEqualTo(base.withoutTransient("t2").withoutTransient("own").withoutPersistent("p"))
                .isEqualTo(Metainfo.fromHeaderStrings(Map.of("RPC_TRANSIT_t1", "a")).forNextHop());
    }

    @Test
    void noChangeGivesTheSameInstance() {
        final Metainfo base = received();
        assertThat(base.toBuilder().build()).isSameAs(base);
        assertThat(base.toBuilder().putTransient("", "v").putTransient("k", "").putPersistent("", "v")
                       .removeTransient("absent").removePersistent("absent").build()).isSameAs(base);
        assertThat(Metainfo.builder().build()).isSameAs(Metainfo.empty());
    }

    @Test
    void nullsAreRejectedAsByWithTransient() {
        assertThatThrownBy(() -> Metainfo.builder().putTransient(null, "v"))
                .isInstanceOf(NullPointerException.class).hasMessage("key");
        assertThatThrownBy(() -> Metainfo.builder().putPersistent("k", null))
                .isInstanceOf(NullPointerException.class).hasMessage("value");
    }

    @Test
    void changesAfterBuildDoNotReachWhatWasBuilt() {
        final Metainfo.Builder b = Metainfo.builder().putTransient("a", "1");
        final Metainfo first = b.build();
        final Metainfo second = b.putTransient("b", "2").removeTransient("a").putPersistent("p", "3").build();
        assertThat(first.outgoingTransients()).isEqualTo(Map.of("a", "1"));
        assertThat(first.persistents()).isEmpty();
        assertThat(second.outgoingTransients()).isEqualTo(Map.of("b", "2"));
        assertThat(second.persistents()).isEqualTo(Map.of("p", "3"));
    }
}
