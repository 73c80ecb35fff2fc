package io.kitex4j.thriftrpc.internal.transmeta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.core.BizStatusException;
import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import io.kitex4j.thriftrpc.internal.codec.KitexCodecException;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The TTHeader meta keys as Kitex's {@code pkg/transmeta} handlers write and read them, on the
 * {@link TTHeader} level: what the client writes is what the server reads, and back.
 */
class TTHeaderMetaTest {

    private static CallContext call(Transport transport, Duration rpcTimeout, String idlService, Metainfo metainfo) {
        return new Fixed(transport, rpcTimeout, idlService, metainfo);
    }

    @Test
    void theClientWritesWhatKitexsClientTTHeaderHandlerWrites() {
        final TTHeader.Builder b = TTHeader.builder();
        TTHeaderMeta.clientWrite(call(Transport.TTHEADER_FRAMED, Duration.ofMillis(1500), "EchoServer",
                Metainfo.empty().withTransient("t", "1").withPersistent("p", "2")), (byte) 1, 0, b);
        final TTHeader h = b.build();
        assertThat(h.ints()).containsExactlyInAnyOrderEntriesOf(Map.of(
                MetaKeys.TRANSPORT_TYPE, "framed",
                MetaKeys.FROM_SERVICE, "caller",
                MetaKeys.FROM_METHOD, "serving",
                MetaKeys.TO_SERVICE, "echo",
                MetaKeys.TO_METHOD, "Echo",
                MetaKeys.MSG_TYPE, "1",
                MetaKeys.RPC_TIMEOUT, "1500"));
        assertThat(h.strings()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "RPC_TRANSIT_t", "1", "RPC_PERSIST_p", "2", MetaKeys.ISN, "EchoServer"));
    }

    @Test
    void optionalClientKeysAreLeftOut() {
        final TTHeader.Builder b = TTHeader.builder();
        TTHeaderMeta.clientWrite(call(Transport.TTHEADER, null, "", Metainfo.empty()), (byte) 4, 0, b);
        final TTHeader h = b.build();
        assertThat(h.ints()).containsEntry(MetaKeys.TRANSPORT_TYPE, "unframed").containsEntry(MetaKeys.MSG_TYPE, "4")
                .doesNotContainKeys(MetaKeys.RPC_TIMEOUT, MetaKeys.CONNECT_TIMEOUT);
        assertThat(h.strings()).isEmpty();

        final TTHeader.Builder withConnect = TTHeader.builder();
        TTHeaderMeta.clientWrite(call(Transport.TTHEADER, null, "", Metainfo.empty()), (byte) 1, 75, withConnect);
        assertThat(withConnect.build().intValue(MetaKeys.CONNECT_TIMEOUT)).isEqualTo("75");
    }

    @Test
    void theServerReadsWhatTheClientWrote() {
        final TTHeader.Builder b = TTHeader.builder();
        TTHeaderMeta.clientWrite(call(Transport.TTHEADER_FRAMED, Duration.ofMillis(250), "EchoServer",
                Metainfo.empty().withTransient("t", "1").withPersistent("p", "2")), (byte) 1, 0, b);
        final TTHeader request = b.build();
        assertThat(TTHeaderMeta.serverReadCallerService(request)).isEqualTo("caller");
        assertThat(TTHeaderMeta.serverReadCallerMethod(request)).isEqualTo("serving");
        assertThat(TTHeaderMeta.serverReadRpcTimeout(request)).isEqualTo(Duration.ofMillis(250));
        final Metainfo seen = TTHeaderMeta.serverReadMetainfo(request);
        // The handler reads both; a call it makes sends on only the persistent one (TransferForward).
        assertThat(seen.transientValue("t")).isEqualTo("1");
        assertThat(seen.persistentValue("p")).isEqualTo("2");
        assertThat(seen.outgoingTransients()).isEmpty();
    }

    @Test
    void theServerIgnoresWhatKitexIgnores() {
        assertThat(TTHeaderMeta.serverReadCallerService(null)).isEmpty();
        assertThat(TTHeaderMeta.serverReadRpcTimeout(null)).isNull();
        assertThat(TTHeaderMeta.serverReadMetainfo(null).persistents()).isEmpty();
        for (String bad : new String[] {"", "0", "-5", "abc", "1.5"}) {
            final TTHeader h = TTHeader.builder().intValue(MetaKeys.RPC_TIMEOUT, bad).build();
            assertThat(TTHeaderMeta.serverReadRpcTimeout(h)).as(bad).isNull();
        }
    }

    @Test
    void theServerWritesWhatTheClientReads() {
        final TTHeader.Builder b = TTHeader.builder();
        TTHeaderMeta.ServerHandler.of(true).serverWrite(Map.of("bk", "bv", MetaKeys.BIZ_STATUS, "spoofed"), (byte) 2,
                new BizStatusException(1001, "no stock", Map.of("sku", "42")), true, b);
        final TTHeader response = b.build();
        assertThat(response.intValue(MetaKeys.MSG_TYPE)).isEqualTo("2");
        // The server's own keys win over a backward value of the same name.
        assertThat(response.string(MetaKeys.BIZ_STATUS)).isEqualTo("1001");
        assertThat(TTHeaderMeta.clientReadBackward(response)).containsEntry("bk", "bv");
        final BizStatusException biz = TTHeaderMeta.clientReadBizStatus(response);
        assertThat(biz.statusCode()).isEqualTo(1001);
        assertThat(biz.statusMessage()).isEqualTo("no stock");
        assertThat(biz.extra()).isEqualTo(Map.of("sku", "42"));
        assertThat(TTHeaderMeta.clientReadConnectionReset(response)).isTrue();
    }

    @Test
    void metainfoOnlyWritesBackwardValuesAlone() {
        final TTHeader.Builder b = TTHeader.builder();
        TTHeaderMeta.ServerHandler.of(false).serverWrite(Map.of("bk", "bv"), (byte) 2,
                new BizStatusException(1, "lost"), true, b);
        final TTHeader response = b.build();
        assertThat(response.ints()).isEmpty();
        assertThat(response.strings()).isEqualTo(Map.of("bk", "bv"));
        assertThat(TTHeaderMeta.clientReadBizStatus(response)).isNull();
        assertThat(TTHeaderMeta.clientReadConnectionReset(response)).isFalse();
    }

    @Test
    void theClientReadsNothingWithoutAHeaderAndRefusesMalformedExtra() {
        assertThat(TTHeaderMeta.clientReadBackward(null)).isEmpty();
        assertThat(TTHeaderMeta.clientReadBizStatus(null)).isNull();
        assertThat(TTHeaderMeta.clientReadConnectionReset(null)).isFalse();
        assertThat(TTHeaderMeta.clientReadBizStatus(TTHeader.builder().string(MetaKeys.BIZ_STATUS, "0").build()))
                .isNull();
        assertThatThrownBy(() -> TTHeaderMeta.clientReadBizStatus(TTHeader.builder()
                .string(MetaKeys.BIZ_STATUS, "5").string(MetaKeys.BIZ_EXTRA, "[1]").build()))
                .isInstanceOf(KitexCodecException.class).hasMessageStartingWith("malformed header info, extra: [1]");
    }

    private record Fixed(Transport transport, Duration rpcTimeout, String idlService, Metainfo metainfo)
            implements CallContext {
        @Override public Side side() { return Side.CLIENT; }
        @Override public String callerService() { return "caller"; }
        @Override public String callerMethod() { return "serving"; }
        @Override public String calleeService() { return "echo"; }
        @Override public String method() { return "Echo"; }
        @Override public boolean oneway() { return false; }
        @Override public long deadlineNanos() { return 0; }
        @Override public InetSocketAddress remoteAddress() { return null; }
        @Override public int attempt() { return 1; }
        @Override public void setMetainfo(Metainfo metainfo) { throw new UnsupportedOperationException(); }
        @Override public Map<String, String> backwardValues() { return Map.of(); }
        @Override public void sendBackward(String key, String value) { throw new UnsupportedOperationException(); }
        @Override public <T> T attribute(AttributeKey<T> key) { return null; }
        @Override public <T> void setAttribute(AttributeKey<T> key, T value) { }
    }
}
