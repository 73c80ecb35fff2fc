package io.kitex4j.opentelemetry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.kitex4j.core.Transport;

/** The server's getter converts keys as Go's {@code metainfo.CGIVariableToHTTPHeader}, without copying the map. */
class MetainfoCarriersTest {

    @Test
    void exactKeysWinAndCgiStyleKeysAreFound() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("X_B3_TRACEID", "upper");
        m.put("Ot-Tracer-SpanId", "mixed");
        m.put("traceparent", "exact");
        m.put("TRACEPARENT", "converted");
        final MetainfoCarriers.Carrier c = new MetainfoCarriers.Carrier(m);
        assertThat(MetainfoCarriers.GETTER.get(c, "traceparent")).isEqualTo("exact");
        assertThat(MetainfoCarriers.GETTER.get(c, "x-b3-traceid")).isEqualTo("upper");
        assertThat(MetainfoCarriers.GETTER.get(c, "ot-tracer-spanid")).isEqualTo("mixed");
        assertThat(MetainfoCarriers.GETTER.get(c, "x-b3-spanid")).isNull();
        assertThat(c.allKeysConverted()).isFalse();
        assertThat(MetainfoCarriers.GETTER.get(new MetainfoCarriers.Carrier(Map.of()), "traceparent")).isNull();
        assertThat(MetainfoCarriers.GETTER.get(null, "traceparent")).isNull();
    }

    @Test
    void keysThatNeedNoConversionAreLookedUpOnly() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("b3", "x");
        m.put("traceparent", "y");
        m.put("service.name", "s");
        final MetainfoCarriers.Carrier c = new MetainfoCarriers.Carrier(m);
        assertThat(MetainfoCarriers.GETTER.get(c, "traceparent")).isEqualTo("y");
        assertThat(MetainfoCarriers.GETTER.get(c, "tracestate")).isNull();
        assertThat(c.allKeysConverted()).isTrue();
        // The lookup of a converted key is still found when one needs converting.
        m.put("X_B3_SAMPLED", "1");
        assertThat(MetainfoCarriers.GETTER.get(new MetainfoCarriers.Carrier(m), "x-b3-sampled")).isEqualTo("1");
    }

    @Test
    @SuppressWarnings("deprecation")
    void keysAreListedConverted() {
        assertThat(MetainfoCarriers.GETTER.keys(new MetainfoCarriers.Carrier(
                Map.of("OT_BAGGAGE_USER", "a", "service.name", "s"))))
                .containsExactlyInAnyOrder("ot-baggage-user", "service.name");
        assertThat(MetainfoCarriers.GETTER.keys(new MetainfoCarriers.Carrier(
                Map.of("ot-baggage-user", "a", "service.name", "s"))))
                .containsExactlyInAnyOrder("ot-baggage-user", "service.name");
    }

    @Test
    void conversionIsGos() {
        assertThat(MetainfoCarriers.toHttpHeader("ABC_DEF")).isEqualTo("abc-def");
        assertThat(MetainfoCarriers.convertsTo("ABC_DEF", "abc-def")).isTrue();
        assertThat(MetainfoCarriers.convertsTo("ABC-DEF", "abc-def")).isTrue();
        assertThat(MetainfoCarriers.convertsTo("abc_de", "abc-def")).isFalse();
        assertThat(MetainfoCarriers.convertsTo("ABCXDEF", "abc-def")).isFalse();
        assertThat(MetainfoCarriers.isHttpHeader("ot-tracer-traceid")).isTrue();
        assertThat(MetainfoCarriers.isHttpHeader("service.name")).isTrue();
        assertThat(MetainfoCarriers.isHttpHeader("Traceparent")).isFalse();
        assertThat(MetainfoCarriers.isHttpHeader("RPC_X")).isFalse();
    }

    @Test
    void transportsAreNamedAsKitexNamesThem() {
        assertThat(Protocols.name(Transport.BUFFERED)).isEqualTo("PurePayload");
        assertThat(Protocols.name(Transport.FRAMED)).isEqualTo("Framed");
        assertThat(Protocols.name(Transport.TTHEADER)).isEqualTo("TTHeader");
        assertThat(Protocols.name(Transport.TTHEADER_FRAMED)).isEqualTo("TTHeader|Framed");
    }
}
