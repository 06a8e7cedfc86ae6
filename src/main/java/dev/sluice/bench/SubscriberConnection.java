package dev.sluice.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;

/**
 * One simulated subscriber: an SSE connection to the gateway, its decoder, and what it saw.
 *
 * <p>Pinned to one event loop for its whole life, reconnects included, so all of its state is
 * confined to that loop. Per event it does an array read (the topic's measurement base), a bit
 * test and set, and a histogram update; nothing is allocated.
 *
 * <p>A subscriber whose stream the server ends (a slow one cut loose, or a restart) reconnects
 * after the announced {@code retry:} delay with {@code Last-Event-ID}, as an EventSource would;
 * the bitset of sequence numbers seen spans connections, so a lossy resume shows up as missed
 * and a repeated event as duplicated.
 */
final class SubscriberConnection extends ChannelInboundHandlerAdapter implements SseDecoder.Listener {

    private static final int SLOW_TICK_MILLIS = 100;
    private static final int MAX_RECONNECTS = 100;

    private final Bench bench;
    final int topic;
    /** Index of the gateway ({@code --targets}) this subscriber connects to. */
    final int target;
    final boolean slow;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final InetSocketAddress local;
    private final LoopStats stats;

    private Channel channel;
    private SseDecoder decoder;
    private long connectStart;
    private boolean open;
    private boolean initialResolved;
    private boolean everOpened;
    private String resumeId;
    private long retryMillis = 2000;
    private int reconnects;
    private ScheduledFuture<?> slowTicker;
    private boolean closedByUs;

    /**
     * The topics this subscriber receives: {@code firstTopic} and the ones after it (one topic,
     * except in the market scenario, where it is a group of symbols under one URI template), and
     * per topic the sequence numbers seen, relative to the topic's measurement base.
     */
    final int firstTopic;
    final BitSet[] seen;
    private final long[] maxSeq;
    long duplicates;
    long outOfOrder;
    long foreign;
    long streamEnds;
    /** Open streams the server ended or closed (cut loose when slow), with or without a last chunk. */
    long serverCloses;

    SubscriberConnection(Bench bench, int topic, int target, boolean slow, EventLoop loop, Bootstrap bootstrap,
                         InetSocketAddress local, LoopStats stats) {
        this.bench = bench;
        this.topic = topic;
        this.target = target;
        firstTopic = bench.firstTopic(topic);
        int count = bench.topicCount(topic);
        seen = new BitSet[count];
        maxSeq = new long[count];
        for (int i = 0; i < count; i++) {
            seen[i] = new BitSet();
            maxSeq[i] = -1;
        }
        this.slow = slow;
        this.loop = loop;
        this.bootstrap = bootstrap;
        this.local = local;
        this.stats = stats;
    }

    EventLoop loop() {
        return loop;
    }

    /** Distinct in-window events seen, over all of this subscriber's topics. */
    long seenCount() {
        long n = 0;
        for (BitSet b : seen) {
            n += b.cardinality();
        }
        return n;
    }

    boolean everOpened() {
        return everOpened;
    }

    /** On the loop: opens a connection (first one, churn cycle or resume). */
    void connect() {
        if (bench.stopping()) {
            resolveInitial(false);
            return;
        }
        stats.attempted++;
        connectStart = System.nanoTime();
        open = false;
        closedByUs = false;
        ChannelFuture f = bootstrap.connect(bench.remote(target), local);
        channel = f.channel();
        channel.pipeline().addLast(this);
        f.addListener(done -> {
            if (!done.isSuccess()) {
                stats.fail(LoopStats.cause(done.cause()));
                afterFailure();
            }
        });
    }

    @Override
    public boolean isSharable() {
        return true; // one channel at a time, reconnects add it to the new channel
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        decoder = new SseDecoder(this);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(bench.request(target, topic, resumeId)));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        try {
            if (decoder != null) {
                decoder.decode(buf);
            }
        } catch (RuntimeException e) {
            stats.fail(open ? "bad-stream" : "bad-response");
            ctx.close();
        } finally {
            buf.release();
        }
    }

    @Override
    public void onHead(int status, String head) {
        if (status != 200) {
            stats.fail("http-" + status);
            closedByUs = true;
            channel.close();
            afterFailure();
        }
    }

    @Override
    public void onComment() {
        if (open) {
            return;
        }
        // The gateway's opening comment: the subscription is registered.
        open = true;
        long took = System.nanoTime() - connectStart;
        LoopStats.record(stats.connect, took);
        if (!everOpened) {
            everOpened = true;
            stats.established++;
            resolveInitial(true);
        } else if (bench.options().scenario() == BenchOptions.Scenario.CHURN) {
            stats.established++;
        }
        if (bench.options().scenario() == BenchOptions.Scenario.CHURN) {
            stats.churnCycles++;
            bench.churnOutcome();
            closedByUs = true;
            channel.close();
            return;
        }
        if (slow && !bench.draining()) {
            channel.config().setAutoRead(false);
            slowTicker = loop.scheduleAtFixedRate(this::slowTick, SLOW_TICK_MILLIS, SLOW_TICK_MILLIS,
                    TimeUnit.MILLISECONDS);
        }
    }

    private void slowTick() {
        if (channel == null || !channel.isActive()) {
            return;
        }
        if (bench.draining()) {
            channel.config().setAutoRead(true);
            slowTicker.cancel(false);
            return;
        }
        channel.read();
    }

    @Override
    public void onEvent(int eventTopic, long seq, long sentNanos) {
        int t = eventTopic - firstTopic;
        if (t < 0 || t >= seen.length) {
            foreign++;
            return;
        }
        long base = bench.measureBase(eventTopic);
        if (seq < base) {
            maxSeq[t] = Math.max(maxSeq[t], seq);
            return;
        }
        int index = (int) (seq - base);
        if (seen[t].get(index)) {
            duplicates++;
            return;
        }
        if (seq < maxSeq[t]) {
            outOfOrder++;
        }
        maxSeq[t] = Math.max(maxSeq[t], seq);
        seen[t].set(index);
        LoopStats.record(slow ? stats.latencySlow : stats.latencyFast, System.nanoTime() - sentNanos);
    }

    @Override
    public void onRetry(long millis) {
        retryMillis = millis;
    }

    @Override
    public void onEnd() {
        streamEnds++;
        stats.streamEnds++;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (slowTicker != null) {
            slowTicker.cancel(false);
            slowTicker = null;
        }
        if (decoder != null) {
            String last = decoder.lastEventId();
            if (last != null) {
                resumeId = last;
            }
            decoder.release();
            decoder = null;
        }
        if (!open) {
            if (!closedByUs) {
                stats.fail("closed-before-open");
                afterFailure();
            }
            return;
        }
        open = false;
        if (bench.options().scenario() == BenchOptions.Scenario.CHURN) {
            if (bench.takeChurnCycle()) {
                resumeId = null;
                connect();
            }
            return;
        }
        if (!closedByUs) {
            serverCloses++;
        }
        if (!closedByUs && !bench.stopping() && reconnects < MAX_RECONNECTS) {
            // The server ended the stream: resume like an EventSource, after the announced delay.
            reconnects++;
            stats.reconnects++;
            loop.schedule(this::connect, retryMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!open && !closedByUs) {
            stats.fail(LoopStats.cause(cause));
            closedByUs = true;
            afterFailure();
        }
        ctx.close();
    }

    private void afterFailure() {
        if (bench.options().scenario() == BenchOptions.Scenario.CHURN) {
            resolveInitial(false);
            bench.churnOutcome();
            if (bench.takeChurnCycle()) {
                resumeId = null;
                loop.schedule(this::connect, 10, TimeUnit.MILLISECONDS);
            }
        } else if (!everOpened) {
            resolveInitial(false);
        } else if (!bench.stopping() && reconnects < MAX_RECONNECTS) {
            reconnects++;
            stats.reconnects++;
            loop.schedule(this::connect, Math.max(retryMillis, 100), TimeUnit.MILLISECONDS);
        }
    }

    private void resolveInitial(boolean ok) {
        if (!initialResolved) {
            initialResolved = true;
            bench.resolved(ok);
        }
    }

    /** On the loop: closes without reconnecting. */
    void close() {
        closedByUs = true;
        if (slowTicker != null) {
            slowTicker.cancel(false);
        }
        if (channel != null) {
            channel.close();
        }
    }

    static byte[] requestBytes(String host, String topicQuery, String token, String lastEventId) {
        StringBuilder sb = new StringBuilder(256);
        sb.append("GET /.well-known/mercure?topic=").append(topicQuery).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append("\r\n")
                .append("Accept: text/event-stream\r\n");
        if (token != null) {
            sb.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        if (lastEventId != null) {
            sb.append("Last-Event-ID: ").append(lastEventId).append("\r\n");
        }
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
