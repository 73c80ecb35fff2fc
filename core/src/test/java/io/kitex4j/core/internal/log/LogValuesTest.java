package io.kitex4j.core.internal.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class LogValuesTest {

    @Test
    void printableAsciiIsKeptAsItIs() {
        final String s = "echo.Echo/Method_1 [ok]";
        assertThat(LogValues.escape(s)).isSameAs(s);
    }

    @Test
    void controlCharactersNewlinesAndEscapeSequencesCannotSplitALine() {
        assertThat(LogValues.escape("a\nb\r\tc\u001b[31m\u0000"))
                .isEqualTo("a\\x0ab\\x0d\\x09c\\x1b[31m\\x00")
                .doesNotContain("\n", "\r", "\u001b");
    }

    @Test
    void backslashIsEscapedSoThatAnEscapeCannotBeForged() {
        assertThat(LogValues.escape("\\x0a")).isEqualTo("\\\\x0a");
    }

    @Test
    void nonAsciiIsEscaped() {
        assertThat(LogValues.escape("\u00ef\u00bf\u2028")).isEqualTo("\\xef\\xbf\\u2028");
    }

    @Test
    void longValuesAreTruncatedWithTheNumberLeftOut() {
        final String escaped = LogValues.escape("x".repeat(10_000));
        assertThat(escaped).startsWith("x".repeat(LogValues.MAX_CHARS) + "...(")
                           .endsWith("(" + (10_000 - LogValues.MAX_CHARS) + " more chars)");
    }

    @Test
    void bytesAreEscapedAndTruncated() {
        assertThat(LogValues.escapeBytes("ok\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("ok\\x0a");
        assertThat(LogValues.escapeBytes(new byte[] {(byte) 0xff, 0x41})).isEqualTo("\\xffA");
        assertThat(LogValues.escapeBytes(new byte[1000])).endsWith("(872 more bytes)");
        assertThat(LogValues.escape(null)).isEqualTo("null");
    }
}
