package io.kitex4j.thriftrpc;

import io.kitex4j.thriftrpc.internal.transmeta.BizStatusHeaders;
import io.kitex4j.thriftrpc.internal.transmeta.MetainfoHeaders;
import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import static org.assertj.core.api.Assertions.assertThat;

import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class MetainfoTest {

    @Test
    void writesPrefixedKeys() {
        final Metainfo mi = Metainfo.empty().withTransient("t", "1").withPersistent("p", "2");
        final TTHeader.Builder b = TTHeader.builder();
        MetainfoHeaders.write(mi, b);
        assertThat(b.build().strings()).isEqualTo(Map.of("RPC_TRANSIT_t", "1", "RPC_PERSIST_p", "2"));
        assertThat(mi.toHeaderStrings()).isEqualTo(Map.of("RPC_TRANSIT_t", "1", "RPC_PERSIST_p", "2"));
    }

    @Test
    void readsARequestHeaderLikeSetMetaInfoFromMap() {
        final Map<String, String> strings = new LinkedHashMap<>();
        strings.put("RPC_TRANSIT_t", "1");
        strings.put("RPC_PERSIST_p", "2");
        strings.put("RPC_TRANSIT_UPSTREAM_u", "3");
        strings.put("RPC_TRANSIT_empty", "");      // empty value: ignored
        strings.put("RPC_TRANSIT_", "x");          // empty key after the prefix: ignored
        strings.put("RPC_PERSIST_", "x");
        strings.put("isn", "EchoService");         // not metainfo
        strings.put(MetaKeys.GDPR_TOKEN, "tok");   // the ACL token is an ordinary transient
        final Metainfo mi = MetainfoHeaders.fromRequest(TTHeader.builder().strings(strings).build());

        assertThat(mi.outgoingTransients()).isEqualTo(Map.of("t", "1", "gdpr-token", "tok"));
        assertThat(mi.transientValue("u")).isEqualTo("3");   // upstream: readable
        assertThat(mi.transients()).isEqualTo(Map.of("t", "1", "gdpr-token", "tok", "u", "3"));
        assertThat(mi.persistents()).isEqualTo(Map.of("p", "2"));
        assertThat(mi.transientValue("empty")).isNull();
        assertThat(mi.transientValue("UPSTREAM_u")).isNull();
    }

    @Test
    void noHeaderOrNoMetainfoIsEmpty() {
        assertThat(MetainfoHeaders.fromRequest(null)).isSameAs(Metainfo.empty());
        assertThat(MetainfoHeaders.fromRequest(TTHeader.builder().string("isn", "S").build()).isEmpty()).isTrue();
    }

    @Test
    void transientsGoOneHopPersistentsEveryHop() {
        // A calls B with t and p.
        final TTHeader.Builder toB = TTHeader.builder();
        MetainfoHeaders.write(Metainfo.empty().withTransient("t", "1").withPersistent("p", "2"), toB);

        // B's handler sees both...
        final Metainfo inB = MetainfoHeaders.fromRequest(toB.build()).forNextHop();
        assertThat(inB.transientValue("t")).isEqualTo("1");
        assertThat(inB.persistentValue("p")).isEqualTo("2");

        // ...and calls C with a transient of its own: C gets p and B's own transient, not A's t.
        final TTHeader.Builder toC = TTHeader.builder();
        MetainfoHeaders.write(inB.withTransient("b", "3"), toC);
        assertThat(toC.build().strings()).isEqualTo(Map.of("RPC_TRANSIT_b", "3", "RPC_PERSIST_p", "2"));

        final Metainfo inC = MetainfoHeaders.fromRequest(toC.build()).forNextHop();
        assertThat(inC.transientValue("t")).isNull();
        assertThat(inC.transientValue("b")).isEqualTo("3");
        assertThat(inC.persistentValue("p")).isEqualTo("2");
    }

    @Test
    void settingATransientReplacesAnUpstreamOne() {
        final Metainfo inB = Metainfo.empty().withTransient("t", "old").forNextHop();
        final Metainfo mi = inB.withTransient("t", "new");
        assertThat(mi.transientValue("t")).isEqualTo("new");
        assertThat(mi.transients()).isEqualTo(Map.of("t", "new"));
        assertThat(mi.outgoingTransients()).isEqualTo(Map.of("t", "new"));
        assertThat(inB.withoutTransient("t").transientValue("t")).isNull();
    }

    @Test
    void emptyKeysAndValuesAreIgnoredAsInGo() {
        final Metainfo mi = Metainfo.empty().withTransient("", "v").withTransient("k", "").withPersistent("", "v")
                                    .withPersistent("k", "");
        assertThat(mi.isEmpty()).isTrue();
        assertThat(mi).isSameAs(Metainfo.empty());
    }

    @Test
    void immutableValueSemantics() {
        final Metainfo a = Metainfo.empty().withPersistent("p", "1");
        final Metainfo b = a.withPersistent("p", "2");
        assertThat(a.persistentValue("p")).isEqualTo("1");
        assertThat(b.persistentValue("p")).isEqualTo("2");
        assertThat(b.withoutPersistent("p")).isEqualTo(Metainfo.empty()).hasSameHashCodeAs(Metainfo.empty());
        assertThat(b.toString()).contains("p=2");
    }

    @Test
    @SuppressWarnings("try") // scopes are opened for their effect on the thread, not used in the block
    void threadLocalAttachAndRestore() {
        assertThat(Metainfo.current()).isSameAs(Metainfo.empty());
        final Metainfo outer = Metainfo.empty().withTransient("k", "outer");
        try (Metainfo.Scope s1 = outer.attach()) {
            assertThat(Metainfo.current().transientValue("k")).isEqualTo("outer");
            try (Metainfo.Scope s2 = Metainfo.current().withTransient("k", "inner").attach()) {
                assertThat(Metainfo.current().transientValue("k")).isEqualTo("inner");
            }
            assertThat(Metainfo.current()).isSameAs(outer);
        }
        assertThat(Metainfo.current()).isSameAs(Metainfo.empty());
    }

    @Test
    void closingAScopeTwiceIsHarmless() {
        final Metainfo.Scope outer = Metainfo.empty().withPersistent("p", "1").attach();
        final Metainfo.Scope inner = Metainfo.empty().withPersistent("p", "2").attach();
        inner.close();
        inner.close(); // must not restore twice (which would drop "outer")
        assertThat(Metainfo.current().persistentValue("p")).isEqualTo("1");
        outer.close();
        assertThat(Metainfo.current()).isSameAs(Metainfo.empty());
    }

    @Test
    @SuppressWarnings("try")
    void asyncCodePassesMetainfoExplicitly() throws Exception {
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Metainfo.Scope s = Metainfo.empty().withTransient("k", "v").attach()) {
            // The thread-local does not follow the task to the pool's thread...
            assertThat(CompletableFuture.supplyAsync(() -> Metainfo.current().transientValue("k"), pool).get())
                    .isNull();
            // ...a captured value does.
            final Metainfo captured = Metainfo.current();
            assertThat(CompletableFuture.supplyAsync(() -> captured.transientValue("k"), pool).get())
                    .isEqualTo("v");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void backwardValues() {
        final TTHeader.Builder response = TTHeader.builder();
        MetainfoHeaders.writeBackward(Map.of("bk", "bv"), response);
        BizStatusHeaders.writeTo(new BizStatusException(7, "m"), response); // server's own keys go after, and win on a clash
        final TTHeader h = response.build();
        assertThat(h.string("bk")).isEqualTo("bv");
        // Like Kitex's client: every string key of the response, unprefixed.
        assertThat(MetainfoHeaders.backwardFromResponse(h))
                .isEqualTo(Map.of("bk", "bv", "biz-status", "7", "biz-message", "m"));
        assertThat(MetainfoHeaders.backwardFromResponse(null)).isEmpty();
    }
}
