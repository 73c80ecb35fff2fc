package io.kitex4j.thriftrpc.client;

import io.kitex4j.thriftrpc.internal.codec.KitexFrame;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameDecoder;
import io.kitex4j.thriftrpc.internal.codec.KitexFrameEncoder;
import io.kitex4j.thriftrpc.internal.codec.TTHeader;
import io.kitex4j.thriftrpc.internal.codec.ThriftCodec;
import io.kitex4j.thriftrpc.internal.codec.ThriftMessageHeader;
import io.kitex4j.core.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TBase;

/**
 * A tiny Kitex-speaking server for client tests: decodes every request with the codec, records
 * it, and lets the test script the answer (or the lack of one, or a broken one).
 */
final class ScriptedServer implements AutoCloseable {

    /** What the test does with one request. The request frame is released after the call. */
    @FunctionalInterface
    interface Script {
        void handle(ChannelHandlerContext ctx, KitexFrame request) throws Exception;
    }

    /** A request as the server saw it. */
    record Request(Transport transport, TTHeader header, ThriftMessageHeader message, Channel channel) {}

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel server;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger closedConnections = new AtomicInteger();
    // Every byte received, in order (for byte-exact checks of single-connection tests).
    private final java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
    private volatile Script script;

    ScriptedServer(Script script) throws InterruptedException {
        this(script, KitexFrameDecoder.DEFAULT_MAX_FRAME_BYTES);
    }

    ScriptedServer(Script script, int maxFrameBytes) throws InterruptedException {
        this.script = script;
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        channels.add(ch);
                        ch.closeFuture().addListener(f -> closedConnections.incrementAndGet());
                        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                final ByteBuf b = (ByteBuf) msg;
                                final byte[] bytes = new byte[b.readableBytes()];
                                b.getBytes(b.readerIndex(), bytes);
                                synchronized (raw) {
                                    raw.writeBytes(bytes);
                                }
                                ctx.fireChannelRead(msg);
                            }
                        });
                        ch.pipeline().addLast(new KitexFrameDecoder(maxFrameBytes), KitexFrameEncoder.INSTANCE,
                                new SimpleChannelInboundHandler<KitexFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, KitexFrame frame)
                                            throws Exception {
                                        requests.add(new Request(frame.transport(), frame.header(),
                                                frame.messageHeader(), ctx.channel()));
                                        ScriptedServer.this.script.handle(ctx, frame);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        // Resets by a client that closed first are expected here.
                                        ctx.close();
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** The bytes received so far. */
    byte[] rawBytes() {
        synchronized (raw) {
            return raw.toByteArray();
        }
    }

    /** Open connections right now. */
    int openConnections() {
        return connections.get() - closedConnections.get();
    }

    void script(Script script) {
        this.script = script;
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    Request last() {
        return requests.get(requests.size() - 1);
    }

    // ------------------------------------------------------------------ answers

    /** Replies with {@code result} in the request's transport, echoing name and seqId. */
    static void reply(ChannelHandlerContext ctx, KitexFrame request, TBase<?, ?> result) {
        reply(ctx, request, result, TTHeader.builder());
    }

    /** Replies with {@code result} and the given header strings (when TTHeader). */
    static void reply(ChannelHandlerContext ctx, KitexFrame request, TBase<?, ?> result, TTHeader.Builder header) {
        final ThriftMessageHeader m = request.messageHeader();
        replyRaw(ctx, request, m.name(), ThriftMessageHeader.REPLY, m.seqId(), result, header);
    }

    static void replyRaw(ChannelHandlerContext ctx, KitexFrame request, String name, byte type, int seqId,
                         TBase<?, ?> body, TTHeader.Builder header) {
        final ByteBuf payload = ThriftCodec.encodeMessage(ctx.alloc(), name, type, seqId, body);
        final TTHeader h = request.header() == null ? null
                : header.seqId(request.header().seqId()).flags(request.header().flags()).build();
        ctx.writeAndFlush(new KitexFrame(request.transport(), h, payload));
    }

    static void exception(ChannelHandlerContext ctx, KitexFrame request, int type, String message) {
        final ThriftMessageHeader m = request.messageHeader();
        final ByteBuf payload = ThriftCodec.encodeException(ctx.alloc(), m.name(), m.seqId(),
                new TApplicationException(type, message));
        final TTHeader h = request.header() == null ? null : TTHeader.builder().seqId(request.header().seqId()).build();
        ctx.writeAndFlush(new KitexFrame(request.transport(), h, payload));
    }

    /** Decodes the request's args. */
    static <T extends TBase<?, ?>> T args(KitexFrame request, T into) {
        ThriftCodec.decodeMessage(request.payload().duplicate(), into);
        return into;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        channels.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
