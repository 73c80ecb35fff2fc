package io.kitex4j.benchmarks.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The bare Netty ceiling: a length-prefixed echo (u32 big-endian length, then the bytes, as Framed but with no
 * Thrift) server and closed-loop client over NIO. The client opens {@code -c} connections, each with one message
 * in flight, and prints the same line as {@link LoadRunner}.
 *
 * <pre>
 * NettyEcho -server 127.0.0.1:9200
 * NettyEcho -addr 127.0.0.1:9200 -c 100 -b 1024 -d 10s -w 5s
 * </pre>
 */
public final class NettyEcho {

    public static void main(String[] args) {
        LoadResult.quietLogging();
        try {
            run(args);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        int c = 100;
        int b = 1024;
        long durMs = 10_000;
        long warmMs = 5_000;
        String addr = "127.0.0.1:9200";
        String serve = null;
        for (int i = 0; i < args.length; i++) {
            final String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "-c" -> { c = Integer.parseInt(v); i++; }
                case "-b" -> { b = Integer.parseInt(v); i++; }
                case "-d" -> { durMs = LoadResult.parseDurationMillis(v); i++; }
                case "-w" -> { warmMs = LoadResult.parseDurationMillis(v); i++; }
                case "-addr" -> { addr = v; i++; }
                case "-server" -> { serve = v; i++; }
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        if (serve != null) {
            serve(serve);
        } else {
            client(addr, c, b, durMs, warmMs);
        }
    }

    private static LengthFieldBasedFrameDecoder frames() {
        // Keep the length prefix in the frame: the server writes the frame back as it came.
        return new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 0);
    }

    private static void serve(String hostPort) throws InterruptedException {
        final int colon = hostPort.lastIndexOf(':');
        final EventLoopGroup boss = new NioEventLoopGroup(1);
        final EventLoopGroup workers = new NioEventLoopGroup();
        final Channel ch = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel sc) {
                        sc.pipeline().addLast(frames(), new SimpleChannelInboundHandler<ByteBuf>(false) {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                ctx.writeAndFlush(msg);
                            }
                        });
                    }
                })
                .bind(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))).sync().channel();
        System.err.println("netty echo listening on " + hostPort);
        ch.closeFuture().sync();
    }

    /** One connection's closed loop; its histogram is only touched on its event loop. */
    private static final class Loop extends SimpleChannelInboundHandler<ByteBuf> {
        final Histogram histogram = new Histogram(60_000_000L, 3);
        final ByteBuf message;
        volatile boolean record;
        volatile long end;
        volatile boolean stopped;
        long sentAt;
        volatile Channel channel;

        Loop(ByteBuf message) {
            this.message = message;
        }

        void send() {
            sentAt = System.nanoTime();
            channel.writeAndFlush(message.retainedDuplicate());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            final long now = System.nanoTime();
            if (record) {
                histogram.recordValue(Math.min((now - sentAt) / 1000, 60_000_000L));
            }
            if (now < end) {
                send();
            } else {
                stopped = true;
            }
        }
    }

    private static void client(String hostPort, int c, int b, long durMs, long warmMs) throws Exception {
        final int colon = hostPort.lastIndexOf(':');
        final EventLoopGroup group = new NioEventLoopGroup();
        final byte[] bytes = new byte[4 + b];
        java.util.Arrays.fill(bytes, (byte) 'a');
        final ByteBuf message = Unpooled.unreleasableBuffer(Unpooled.directBuffer(4 + b).writeInt(b)
                .writeBytes(bytes, 4, b));
        final List<Loop> loops = new ArrayList<>();
        final AtomicLong errors = new AtomicLong();
        final Bootstrap bs = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true);
        for (int i = 0; i < c; i++) {
            final Loop loop = new Loop(message);
            loops.add(loop);
            loop.channel = bs.handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel sc) {
                    sc.pipeline().addLast(frames(), loop);
                }
            }).connect(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))).sync().channel();
        }
        double seconds = 0;
        for (int phase = warmMs > 0 ? 0 : 1; phase < 2; phase++) {
            final long start = System.nanoTime();
            final long end = start + (phase == 0 ? warmMs : durMs) * 1_000_000L;
            for (Loop l : loops) {
                l.record = phase == 1;
                l.end = end;
                l.stopped = false;
                l.channel.eventLoop().execute(l::send);
            }
            while (true) {
                Thread.sleep(5);
                boolean all = true;
                for (Loop l : loops) {
                    all &= l.stopped || !l.channel.isActive();
                }
                if (all) {
                    break;
                }
                if (System.nanoTime() > end + 5_000_000_000L) {
                    errors.addAndGet(loops.stream().filter(l -> !l.stopped).count());
                    break;
                }
            }
            seconds = (System.nanoTime() - start) / 1e9;
        }
        final Histogram all = new Histogram(60_000_000L, 3);
        for (Loop l : loops) {
            if (!l.channel.isActive() && !l.stopped) {
                errors.incrementAndGet();
            }
            all.add(l.histogram);
        }
        LoadResult.print("netty-echo", "raw-length-prefixed", c, b, all, errors.get(), seconds);
        System.exit(0);
    }
}
