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
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The bare Netty ceiling: a length-prefixed echo (u32 big-endian length, then the bytes, as Framed but with no
 * Thrift) server and closed-loop client over NIO. The client opens {@code -c} connections, each with one message
 * in flight, and prints the same line as {@link LoadRunner}.
 *
 * <p>Knobs used to isolate the tail latency (benchmarks/README.md, "Tail latency"), on both sides:
 * {@code -io N} event-loop threads (default: Netty's, two per core), {@code -native nio|epoll} (default nio;
 * kitex4j itself uses epoll when it can), and {@code -flush each|consolidate|readcomplete}: {@code each}
 * (default) writes and flushes every message; {@code consolidate} puts Netty's {@code FlushConsolidationHandler}
 * in front (a flush is deferred while a read is in progress, or to a later task); {@code readcomplete} (server
 * only) writes in {@code channelRead} and flushes once in {@code channelReadComplete}, as a server that
 * batches the replies of one read would.
 *
 * <pre>
 * NettyEcho -server 127.0.0.1:9200 [-io N] [-native epoll] [-flush each|consolidate|readcomplete]
 * NettyEcho -addr 127.0.0.1:9200 -c 100 -b 1024 -d 10s -w 5s [-io N] [-native epoll] [-flush each|consolidate]
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
        int io = 0;
        String flush = "each";
        String nativeTransport = "nio";
        for (int i = 0; i < args.length; i++) {
            final String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "-c" -> { c = Integer.parseInt(v); i++; }
                case "-b" -> { b = Integer.parseInt(v); i++; }
                case "-d" -> { durMs = LoadResult.parseDurationMillis(v); i++; }
                case "-w" -> { warmMs = LoadResult.parseDurationMillis(v); i++; }
                case "-addr" -> { addr = v; i++; }
                case "-server" -> { serve = v; i++; }
                case "-io" -> { io = Integer.parseInt(v); i++; }
                case "-flush" -> { flush = v; i++; }
                case "-native" -> { nativeTransport = v; i++; }
                default -> throw new IllegalArgumentException("unknown flag " + args[i]
                        + " (-c -b -d -w -addr | -server host:port; both: -io N -native nio|epoll"
                        + " -flush each|consolidate|readcomplete)");
            }
        }
        if (!flush.equals("each") && !flush.equals("consolidate") && !(flush.equals("readcomplete") && serve != null)) {
            throw new IllegalArgumentException("-flush " + flush + " (expected: each, consolidate, readcomplete"
                    + " (server only))");
        }
        final boolean epoll = switch (nativeTransport) {
            case "nio" -> false;
            case "epoll" -> {
                Epoll.ensureAvailability();
                yield true;
            }
            default -> throw new IllegalArgumentException("-native " + nativeTransport + " (expected: nio, epoll)");
        };
        System.err.println("netty echo: flush=" + flush + " io=" + (io == 0 ? "default" : io) + " transport="
                + nativeTransport);
        if (serve != null) {
            serve(serve, io, flush, epoll);
        } else {
            client(addr, c, b, durMs, warmMs, io, flush, epoll);
        }
    }

    private static EventLoopGroup group(int threads, boolean epoll) {
        return epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    }

    private static FlushConsolidationHandler consolidation() {
        // Netty's defaults: flush after 256 pending flushes at the latest, and also consolidate outside reads.
        return new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
    }

    private static LengthFieldBasedFrameDecoder frames() {
        // Keep the length prefix in the frame: the server writes the frame back as it came.
        return new LengthFieldBasedFrameDecoder(16 << 20, 0, 4, 0, 0);
    }

    private static void serve(String hostPort, int io, String flush, boolean epoll) throws InterruptedException {
        final int colon = hostPort.lastIndexOf(':');
        final EventLoopGroup boss = group(1, epoll);
        final EventLoopGroup workers = group(io, epoll);
        final boolean readComplete = flush.equals("readcomplete");
        final Channel ch = new ServerBootstrap().group(boss, workers)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel sc) {
                        if (flush.equals("consolidate")) {
                            sc.pipeline().addLast(consolidation());
                        }
                        sc.pipeline().addLast(frames(), new SimpleChannelInboundHandler<ByteBuf>(false) {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                if (readComplete) {
                                    ctx.write(msg);
                                } else {
                                    ctx.writeAndFlush(msg);
                                }
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext ctx) {
                                if (readComplete) {
                                    ctx.flush();
                                }
                                ctx.fireChannelReadComplete();
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

    private static void client(String hostPort, int c, int b, long durMs, long warmMs, int io, String flush,
                               boolean epoll) throws Exception {
        final int colon = hostPort.lastIndexOf(':');
        final EventLoopGroup group = group(io, epoll);
        final byte[] bytes = new byte[4 + b];
        java.util.Arrays.fill(bytes, (byte) 'a');
        final ByteBuf message = Unpooled.unreleasableBuffer(Unpooled.directBuffer(4 + b).writeInt(b)
                .writeBytes(bytes, 4, b));
        final List<Loop> loops = new ArrayList<>();
        final AtomicLong errors = new AtomicLong();
        final Bootstrap bs = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true);
        for (int i = 0; i < c; i++) {
            final Loop loop = new Loop(message);
            loops.add(loop);
            loop.channel = bs.handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel sc) {
                    if (flush.equals("consolidate")) {
                        sc.pipeline().addLast(consolidation());
                    }
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
