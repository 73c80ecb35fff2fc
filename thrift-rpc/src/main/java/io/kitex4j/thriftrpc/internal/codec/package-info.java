/**
 * Kitex's Thrift wire format on Netty: the four transports, TTHeader, and strict binary Thrift messages,
 * byte for byte as CloudWeGo Kitex (Go) reads and writes them.
 *
 * <h2>Pipeline</h2>
 * <pre>
 *   bytes ──▶ {@link io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder} ──▶ {@link io.kitex4j.thriftrpc.internal.codec.KitexFrame} (transport, TTHeader, payload slice)
 *                                                    │
 *                                                    └─▶ {@link io.kitex4j.thriftrpc.internal.codec.ThriftCodec#decodeMessage} ──▶ TBase
 *
 *   TBase ──▶ {@link io.kitex4j.thriftrpc.internal.codec.ThriftCodec#encodeMessage} ──▶ payload ──▶ new KitexFrame(transport, header, payload)
 *                                                    │
 *                                                    └─▶ {@link io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder} ──▶ [framing | payload] (composite, no copy)
 * </pre>
 * The same decoder serves servers (which answer each request in its own transport) and clients
 * (which accept all four transports in replies, as a Kitex client does).
 *
 * <h2>The four transports</h2>
 * <pre>
 * BUFFERED         | 80 01 00 TT | name | seqId | struct |
 * FRAMED           | u32 length | 80 01 00 TT ... |
 * TTHEADER         | LENGTH | 10 00 | FLAGS | seqId | HSIZE | header info | 80 01 00 TT ... |
 * TTHEADER_FRAMED  | LENGTH | 10 00 | FLAGS | seqId | HSIZE | header info | u32 length | 80 01 00 TT ... |
 * </pre>
 * See {@link io.kitex4j.thriftrpc.internal.codec.TTHeader} for the header layout and
 * {@link io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder} for the detection rules and limits. The reference
 * for every rule is {@code shared/reference/kitex-wire.md}, which cites the Kitex and gopkg sources.
 *
 * <h2>Reference counting</h2>
 * A decoded {@code KitexFrame} holds a retained slice of the received bytes: release it when done (after
 * {@code decodeMessage}). A frame passed to {@code write} is released by the encoder, also when the
 * encoding fails.
 */
package io.kitex4j.thriftrpc.internal.codec;
