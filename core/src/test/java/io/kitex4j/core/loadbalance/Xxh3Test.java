package io.kitex4j.core.loadbalance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** XXH3-64 seed 0 against vectors from Go's github.com/bytedance/gopkg/util/xxhash3 (Kitex's hash). */
class Xxh3Test {

    @Test
    void emptyInputIsTheKnownXxh3Value() {
        assertThat(Xxh3.hash(new byte[0], 0)).isEqualTo(0x2D06800538D394C2L);
        assertThat(Xxh3.hash("")).isEqualTo(0x2D06800538D394C2L);
    }

    @Test
    void bytesMatchGoForEveryLengthClass() {
        // 0..260 covers XXH3's 0, 1-3, 4-8, 9-16, 17-128, 129-240 and >240 code paths; the longer
        // inputs cross stripe and block boundaries.
        List<String> lines = Golden.lines("xxh3-vectors.txt").stream().filter(l -> l.startsWith("xxh3 ")).toList();
        assertThat(lines).hasSizeGreaterThan(260);
        for (String line : lines) {
            String[] f = line.split(" ");
            int length = Integer.parseInt(f[1]);
            byte[] input = new byte[length + 5]; // extra bytes must be ignored
            for (int i = 0; i < input.length; i++) {
                input[i] = (byte) (i * 31 + 7);
            }
            assertThat(Xxh3.hash(input, length)).as("length %d", length).isEqualTo(Long.parseUnsignedLong(f[2], 16));
        }
    }

    @Test
    void stringsAreHashedAsUtf8LikeGo() {
        List<String> lines = Golden.lines("xxh3-vectors.txt").stream().filter(l -> l.startsWith("xxh3s ")).toList();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(8);
        for (String line : lines) {
            String[] f = line.split(" ", 3);
            String s = f[2];
            long expected = Long.parseUnsignedLong(f[1], 16);
            assertThat(Xxh3.hash(s)).as("string %s", s).isEqualTo(expected);
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            assertThat(Xxh3.hash(utf8, utf8.length)).as("bytes of %s", s).isEqualTo(expected);
        }
    }

    @Test
    void asciiFastPathEqualsByteHashingForAllLengths() {
        StringBuilder sb = new StringBuilder();
        for (int length = 0; length < 300; length++) {
            String s = sb.toString();
            byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
            assertThat(Xxh3.hash(s)).as("length %d", length).isEqualTo(Xxh3.hash(bytes, bytes.length));
            sb.append((char) (33 + (length * 7) % 94));
        }
    }
}
