package io.kitex4j.thriftrpc.internal.codec;

import io.kitex4j.core.Transport;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TTHeaderTest {

    @Test
    void builderKeepsInsertionOrderAndReplacesValues() {
        final TTHeader h = TTHeader.builder()
                                   .string("b", "1").string("a", "2").string("b", "3")
                                   .intValue(9, "x").intValue(3, "y")
                                   .build();
        assertThat(h.strings().keySet()).containsExactly("b", "a");
        assertThat(h.string("b")).isEqualTo("3");
        assertThat(h.ints().keySet()).containsExactly(9, 3);
        assertThat(h.intValue(3)).isEqualTo("y");
        assertThat(h.intValue(4)).isNull();
        assertThat(h.protocolId()).isZero();
        assertThatThrownBy(() -> h.strings().put("c", "d")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void toBuilderDerivesWithoutChangingTheOriginal() {
        final TTHeader h = TTHeader.builder().seqId(4).flags(TTHeader.FLAG_SUPPORT_OUT_OF_ORDER).string("k", "v").build();
        final TTHeader h2 = h.toBuilder().removeString("k").intValue(1, "framed").build();
        assertThat(h.strings()).isEqualTo(Map.of("k", "v"));
        assertThat(h2.strings()).isEmpty();
        assertThat(h2.ints()).isEqualTo(Map.of(1, "framed"));
        assertThat(h2.seqId()).isEqualTo(4);
        assertThat(h2.flags()).isEqualTo(1);
        assertThat(h).isEqualTo(h.toBuilder().build()).hasSameHashCodeAs(h.toBuilder().build());
        assertThat(h.toString()).contains("k=v");
    }

    @Test
    void emptyHeader() {
        assertThat(TTHeader.builder().build()).isSameAs(TTHeader.empty());
        assertThat(TTHeader.empty().isEmpty()).isTrue();
        assertThat(TTHeader.builder().ints(Map.of(1, "x")).build().isEmpty()).isFalse();
    }

    @Test
    void streamingFlagAndOutOfRangeValuesAreRefused() {
        assertThatThrownBy(() -> TTHeader.builder().flags(TTHeader.FLAG_STREAMING))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Streaming");
        assertThatThrownBy(() -> TTHeader.builder().flags(0x10000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TTHeader.builder().intValue(65536, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TTHeader.builder().intValue(-1, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TTHeader.builder().string("k", null)).isInstanceOf(NullPointerException.class);
        assertThat(TTHeader.builder().intValue(65535, "x").build().intValue(65535)).isEqualTo("x");
    }

    @Test
    void metaKeyIdsAreKitexs() {
        // gopkg metakey.go iota order.
        assertThat(List.of(MetaKeys.TRANSPORT_TYPE, MetaKeys.FROM_SERVICE, MetaKeys.TO_SERVICE, MetaKeys.TO_METHOD,
                           MetaKeys.RPC_TIMEOUT, MetaKeys.CONNECT_TIMEOUT, MetaKeys.FROM_METHOD, MetaKeys.MSG_TYPE,
                           MetaKeys.LB_TYPE, MetaKeys.FRAME_TYPE))
                .containsExactly(1, 3, 6, 9, 12, 17, 20, 22, 25, 27);
        assertThat(MetaKeys.GDPR_TOKEN).isEqualTo("RPC_TRANSIT_gdpr-token");
    }

    @Test
    void transportProperties() {
        assertThat(Transport.of(true, true)).isEqualTo(Transport.TTHEADER_FRAMED);
        assertThat(Transport.of(true, false)).isEqualTo(Transport.TTHEADER);
        assertThat(Transport.of(false, true)).isEqualTo(Transport.FRAMED);
        assertThat(Transport.of(false, false)).isEqualTo(Transport.BUFFERED);
        for (Transport t : Transport.values()) {
            assertThat(Transport.of(t.hasTTHeader(), t.isFramed())).isEqualTo(t);
        }
    }
}
