package io.kitex4j.thriftrpc;

import io.kitex4j.thriftrpc.internal.transmeta.BizStatusHeaders;
import io.kitex4j.core.BizStatusException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BizStatusExceptionTest {

    @Test
    void writesKitexKeys() {
        final Map<String, String> extra = new LinkedHashMap<>();
        extra.put("sku", "42");
        extra.put("quote\"", "<&>");
        final TTHeader.Builder b = TTHeader.builder();
        BizStatusHeaders.writeTo(new BizStatusException(1001, "no stock", extra), b);
        final TTHeader h = b.build();
        assertThat(h.string("biz-status")).isEqualTo("1001");
        assertThat(h.string("biz-message")).isEqualTo("no stock");
        assertThat(h.string("biz-extra")).isEqualTo("{\"sku\":\"42\",\"quote\\\"\":\"<&>\"}");
    }

    @Test
    void messageIsAlwaysWrittenExtraOnlyWhenPresent() {
        final TTHeader.Builder b = TTHeader.builder();
        BizStatusHeaders.writeTo(new BizStatusException(-5, ""), b);
        assertThat(b.build().strings()).isEqualTo(Map.of("biz-status", "-5", "biz-message", ""));
    }

    @Test
    void roundTrip() {
        final TTHeader.Builder b = TTHeader.builder();
        BizStatusHeaders.writeTo(new BizStatusException(Integer.MIN_VALUE, "msg ✓", Map.of("a", "b", "ü", "")), b);
        final BizStatusException e = BizStatusHeaders.fromResponse(b.build());
        assertThat(e.statusCode()).isEqualTo(Integer.MIN_VALUE);
        assertThat(e.statusMessage()).isEqualTo("msg ✓");
        assertThat(e.extra()).isEqualTo(Map.of("a", "b", "ü", ""));
        assertThat(e).hasMessage("biz error: code=-2147483648, msg=msg ✓");
    }

    @Test
    void readsWhatKitexSends() {
        // Go's sonic output: HTML characters escaped, any key order.
        final BizStatusException e = BizStatusHeaders.fromResponse(Map.of(
                "biz-status", "+7", "biz-message", "m", "biz-extra", "{\"b\":\"\\u003cx\\u003e\",\"a\":\"1\"}"));
        assertThat(e.statusCode()).isEqualTo(7);
        assertThat(e.extra()).isEqualTo(Map.of("a", "1", "b", "<x>"));
    }

    @Test
    void absentZeroOrUnparsableStatusIsNoError() {
        assertThat(BizStatusHeaders.fromResponse((TTHeader) null)).isNull();
        assertThat(BizStatusHeaders.fromResponse(Map.of())).isNull();
        assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", "0", "biz-extra", "not json"))).isNull();
        // strconv.ParseInt(s, 10, 32) fails on these, so Kitex sees no biz error
        for (String s : new String[] {"", " 1", "1 ", "0x10", "2147483648", "-2147483649", "1e3", "١٢", "+", "1_0"}) {
            assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", s))).as(s).isNull();
        }
        assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", "007")).statusCode()).isEqualTo(7);
        assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", "2147483647")).statusCode())
                .isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void missingMessageIsEmptyAndEmptyOrNullExtraIsNone() {
        assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", "3")).statusMessage()).isEmpty();
        assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", "3", "biz-extra", "")).extra()).isEmpty();
        assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", "3", "biz-extra", "null")).extra()).isEmpty();
        assertThat(BizStatusHeaders.fromResponse(Map.of("biz-status", "3", "biz-extra", "{\"k\":null}")).extra())
                .isEqualTo(Map.of("k", ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"a\":1}", "{\"a\":true}", "{\"a\":{}}", "[\"a\"]", "\"s\"", "{\"a\":\"b\"} x",
                            "{\"a\":\"b\"", "{'a':'b'}"})
    void invalidExtraFailsTheCallAsInKitex(String extra) {
        assertThatThrownBy(() -> BizStatusHeaders.fromResponse(Map.of("biz-status", "1", "biz-extra", extra)))
                .isInstanceOf(KitexCodecException.class)
                .hasMessageStartingWith("malformed header info, extra: " + extra);
    }
}
