package dev.sluice.bench.jmh;

import dev.sluice.hub.Hub;
import dev.sluice.hub.HubSettings;
import dev.sluice.topic.SelectorCache;
import dev.sluice.hub.Subscriber;
import dev.sluice.topic.TopicSelector;
import dev.sluice.topic.Update;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The dispatch fan-out: {@link Hub#accept} of one update with N subscribers of its topic, until
 * the event loop has written it to all of them.
 *
 * <p>What is measured: encoding, the history append, the offer to the loop's inbox, the drain
 * task (topic index lookup, {@code Subscriber.deliver}: budget check, retained duplicate, write)
 * and one flush per subscriber, through the real Netty channel pipeline, on one event loop.
 * The channels are Netty <em>local</em> channels (in-memory), so the kernel's send path (a
 * {@code writev} per subscriber with epoll) is not included; the peers that read and discard
 * run on a second event loop. One operation = one update delivered to N subscribers: divide by
 * N for the cost per delivery.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class DispatchBenchmark {

    @Param({"100", "1000", "10000"})
    public int subscribers;

    private EventLoopGroup hubLoop;
    private EventLoopGroup peerLoop;
    private Hub hub;
    private Update update;
    private Channel server;
    private final List<Channel> peers = new ArrayList<>();

    @ChannelHandler.Sharable
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        hubLoop = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        peerLoop = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        hub = new Hub(HubSettings.builder().historySize(0).historyMaxBytes(0).subscriberBudget(Long.MAX_VALUE / 4)
                        .heartbeat(Duration.ZERO).build(),
                hubLoop, new SelectorCache(1000, 1000), PooledByteBufAllocator.DEFAULT);
        List<Channel> accepted = new CopyOnWriteArrayList<>();
        LocalAddress address = new LocalAddress("dispatch-bench");
        server = new ServerBootstrap().group(hubLoop).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        accepted.add(ch);
                    }
                }).bind(address).sync().channel();
        Bootstrap client = new Bootstrap().group(peerLoop).channel(LocalChannel.class).handler(new Discard());
        for (int i = 0; i < subscribers; i++) {
            peers.add(client.connect(address).sync().channel());
        }
        while (accepted.size() < subscribers) {
            Thread.sleep(1);
        }
        TopicSelector topic = TopicSelector.parse("https://example.com/books/1");
        hubLoop.submit(() -> {
            for (Channel ch : accepted) {
                Subscriber s = new Subscriber(ch, List.of(topic), List.of(), true, Long.MAX_VALUE / 4, Long.MAX_VALUE,
                        false);
                hub.register(s, null);
                hub.start(s);
            }
        }).sync();
        update = new Update("urn:uuid:0193f0c2-7a0e-7000-8000-000000000001", List.of("https://example.com/books/1"),
                "x".repeat(100), false, null, -1);
    }

    @Benchmark
    public void acceptAndFanOut() throws Exception {
        hub.accept(update);
        // The drain task was queued by accept; a task queued after it completes after it.
        hubLoop.submit(() -> { }).sync();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        hub.close();
        for (Channel p : peers) {
            p.close();
        }
        server.close();
        hubLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        peerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
