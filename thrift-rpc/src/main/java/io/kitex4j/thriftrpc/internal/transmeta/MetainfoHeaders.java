package io.kitex4j.thriftrpc.internal.transmeta;

import static java.util.Objects.requireNonNull;

import io.kitex4j.core.Metainfo;
import io.kitex4j.thriftrpc.internal.codec.MetaKeys;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import java.util.Map;

/**
 * How {@link Metainfo} travels in TTHeader string keys (Go's {@code metainfo.SaveMetaInfoToMap},
 * {@code SetMetaInfoFromMap}, {@code SetBackwardValuesFromMap} and {@code SendBackwardValue}).
 */
public final class MetainfoHeaders {

    private MetainfoHeaders() {
    }

    /**
     * Adds {@code RPC_TRANSIT_<k>} for each outgoing transient and {@code RPC_PERSIST_<k>} for each
     * persistent. {@code RPC_TRANSIT_gdpr-token} ends up in the header's ACL-token block, as with Kitex.
     */
    public static void write(Metainfo metainfo, TTHeader.Builder builder) {
        requireNonNull(builder, "builder");
        metainfo.outgoingTransients().forEach((k, v) -> builder.string(MetaKeys.TRANSIT_PREFIX + k, v));
        metainfo.persistents().forEach((k, v) -> builder.string(MetaKeys.PERSIST_PREFIX + k, v));
    }

    /** The metainfo a server received; {@code header} {@code null} (no TTHeader) gives the empty one. */
    public static Metainfo fromRequest(TTHeader header) {
        return header == null ? Metainfo.empty() : Metainfo.fromHeaderStrings(header.strings());
    }

    /**
     * The backward values a client receives: like Kitex's client, <em>every</em> string key-value of the
     * response header, unprefixed and unfiltered (Kitex's own keys such as {@code biz-status} or
     * {@code crrst} appear too). Empty if {@code header} is {@code null}. Unmodifiable.
     */
    public static Map<String, String> backwardFromResponse(TTHeader header) {
        return header == null ? Map.of() : header.strings();
    }

    /**
     * Each backward value as a raw string key of the response header. Call it before adding the keys the
     * server writes itself ({@code biz-*}, {@code crrst}), so that those win on a clash.
     */
    public static void writeBackward(Map<String, String> values, TTHeader.Builder responseHeader) {
        requireNonNull(responseHeader, "responseHeader");
        requireNonNull(values, "values").forEach(responseHeader::string);
    }
}
