package io.kitex4j.registry;

import io.kitex4j.core.discovery.Instance;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Golden values are what Go's encoding/json writes for registry-etcd's instanceInfo. */
class InstanceCodecTest {

    @Test
    void encodesNoTagsAsNullLikeGo() {
        assertThat(InstanceCodec.encode(Instance.of("10.0.0.5:8888", 10)))
                .isEqualTo("{\"network\":\"tcp\",\"address\":\"10.0.0.5:8888\",\"weight\":10,\"tags\":null}");
    }

    @Test
    void encodesTagsSortedAndHtmlEscapedLikeGo() {
        final Map<String, String> tags = new LinkedHashMap<>();
        tags.put("zone", "z1");
        tags.put("cluster", "a&b");
        tags.put("html", "<p>");
        assertThat(InstanceCodec.encode(Instance.of("10.0.0.5:8888", 7, tags)))
                .isEqualTo("{\"network\":\"tcp\",\"address\":\"10.0.0.5:8888\",\"weight\":7,"
                        + "\"tags\":{\"cluster\":\"a\\u0026b\",\"html\":\"\\u003cp\\u003e\",\"zone\":\"z1\"}}");
    }

    @Test
    void escapesControlCharactersAndLineSeparatorsLikeGo() {
        final String value = "q\"b\\n\nr\rt\tb\bf\fz\u0001x\u2028y\u2029é😀";
        assertThat(InstanceCodec.encode(Instance.of("h:1", 1, Map.of("k", value))))
                .endsWith("\"tags\":{\"k\":\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\fz\\u0001x\\u2028y\\u2029é😀\"}}");
    }

    @Test
    void sortsTagKeysByUtf8BytesNotUtf16() {
        // In UTF-16 the surrogate pair (0xD83D...) sorts before U+FF5E; in UTF-8 (EF BD BE vs F0 9F 98 80) after it.
        final Map<String, String> tags = Map.of("\uFF5E", "a", "\uD83D\uDE00", "b");
        assertThat(InstanceCodec.encode(Instance.of("h:1", 1, tags)))
                .contains("{\"\uFF5E\":\"a\",\"\uD83D\uDE00\":\"b\"}");
    }

    @Test
    void roundTrips() throws Exception {
        final Instance in = Instance.of("[fd00::1]:8888", 3, Map.of("a", "b&c", "x", "y"));
        assertThat(InstanceCodec.decode(InstanceCodec.encode(in))).isEqualTo(in);
    }

    @Test
    void decodesGoEscapes() throws Exception {
        final Instance i = InstanceCodec.decode(
                "{\"network\":\"tcp\",\"address\":\"10.0.0.5:8888\",\"weight\":10,\"tags\":{\"cluster\":\"a\\u0026b\"}}");
        assertThat(i.tag("cluster")).isEqualTo("a&b");
    }

    @Test
    void matchesFieldNamesCaseInsensitively() throws Exception {
        final Instance i = InstanceCodec.decode("{\"NETWORK\":\"tcp\",\"Address\":\"h:1\",\"Weight\":5,\"TaGs\":{\"k\":\"v\"}}");
        assertThat(i).isEqualTo(Instance.of("h:1", 5, Map.of("k", "v")));
    }

    @Test
    void lastDuplicateWinsAcrossCases() throws Exception {
        assertThat(InstanceCodec.decode("{\"weight\":1,\"Weight\":5}").weight()).isEqualTo(5);
    }

    @Test
    void nullLeavesTheFieldAsItWas() throws Exception {
        assertThat(InstanceCodec.decode("{\"weight\":4,\"weight\":null}").weight()).isEqualTo(4);
        assertThat(InstanceCodec.decode("{\"address\":null,\"tags\":null}"))
                .isEqualTo(new Instance("", "", 0, Map.of()));
    }

    @Test
    void missingFieldsTakeZeroValuesAndUnknownFieldsAreIgnored() throws Exception {
        assertThat(InstanceCodec.decode("{\"address\":\"h:1\",\"extra\":{\"deep\":[1,2,{}]},\"n\":1.5}"))
                .isEqualTo(new Instance("", "h:1", 0, Map.of()));
    }

    @Test
    void nullTagValueDecodesAsEmptyString() throws Exception {
        assertThat(InstanceCodec.decode("{\"tags\":{\"k\":null}}").tags()).containsEntry("k", "");
    }

    @Test
    void repeatedTagsObjectsMergeAsGoDecodesIntoTheExistingMap() throws Exception {
        assertThat(InstanceCodec.decode("{\"tags\":{\"a\":\"1\"},\"tags\":{\"b\":\"2\"}}").tags())
                .containsEntry("a", "1").containsEntry("b", "2");
    }

    @Test
    void topLevelNullIsTheZeroInstanceAsInGo() throws Exception {
        assertThat(InstanceCodec.decode("null")).isEqualTo(new Instance("", "", 0, Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"weight\":7.0}",
        "{\"weight\":\"7\"}",
        "{\"weight\":1e1}",
        "{\"weight\":true}",
        "{\"weight\":99999999999}",
        "{\"tags\":{\"k\":1}}",
        "{\"tags\":[]}",
        "{\"network\":1}",
        "{\"address\":{}}",
        "[]",
        "7",
        "\"str\"",
        "",
        "garbage",
        "{\"weight\":1} trailing",
        "{\"weight\":01}",
        "{\"weight\":1,}",
        "{'weight':1}",
        "{\"weight\":1",
    })
    void rejectsWhatGoRejects(String json) {
        assertThatThrownBy(() -> InstanceCodec.decode(json)).isInstanceOf(InvalidInstanceException.class);
    }

    @Test
    void rejectionNamesTheField() {
        assertThatThrownBy(() -> InstanceCodec.decode("{\"address\":\"h:1\",\"weight\":\"7\"}"))
                .hasMessageContaining("weight").hasMessageContaining("\"7\"");
    }
}
