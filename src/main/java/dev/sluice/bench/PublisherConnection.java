package dev.sluice.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One keep-alive HTTP/1.1 publishing connection. Requests are pipelined: the open-loop schedule
 * never waits for an answer, so a slow acknowledgement shows up as latency, not as a lower rate.
 * Answers come back in request order, which is how each is matched to its publish.
 *
 * <p>Every topic is published on one fixed connection, so the gateway receives a topic's updates
 * in sequence order and any reordering a subscriber sees is the gateway's. Pinned to one event
 * loop; {@link #publish} must be called there.
 */
final class PublisherConnection extends SimpleChannelInboundHandler<FullHttpResponse> {

    /**
     * Unanswered publishes per connection beyond which new ones are counted failed ("backlog"),
     * unsent: Netty's HTTP server codec, which the gateway uses, answers 400 and closes a
     * connection with more than 128 requests pipelined, so sending more would lose them all
     * (kept a little under it).
     * Give more --publish-connections when acknowledgements are slow.
     */
    static final int MAX_IN_FLIGHT = 100;

    private record Pending(int topic, long seq, long dueNanos, boolean measured) {}

    private final Bench bench;
    private final int target;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final LoopStats stats;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private Channel channel;
    private boolean connecting;

    PublisherConnection(Bench bench, int target, EventLoop loop, Bootstrap bootstrap, LoopStats stats) {
        this.bench = bench;
        this.target = target;
        this.loop = loop;
        this.bootstrap = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20), PublisherConnection.this);
            }
        });
        this.stats = stats;
    }

    @Override
    public boolean isSharable() {
        return true;
    }

    EventLoop loop() {
        return loop;
    }

    /** On the loop. Completes once connected (or failed). */
    io.netty.util.concurrent.Future<Void> connect() {
        connecting = true;
        var f = bootstrap.connect(bench.remote(target));
        channel = f.channel();
        var promise = loop.<Void>newPromise();
        f.addListener((ChannelFutureListener) done -> {
            connecting = false;
            if (done.isSuccess()) {
                promise.setSuccess(null);
            } else {
                promise.setFailure(done.cause());
            }
        });
        return promise;
    }

    /** On the loop: sends one update (or counts why it could not). */
    void publish(int topic, long seq, long dueNanos, boolean measured) {
        if (channel == null || !channel.isActive()) {
            if (!connecting) {
                connect();
            }
            failed(measured, "not-connected");
            return;
        }
        if (pending.size() >= MAX_IN_FLIGHT) {
            failed(measured, "backlog");
            return;
        }
        pending.add(new Pending(topic, seq, dueNanos, measured));
        channel.writeAndFlush(request(topic, seq, dueNanos), channel.voidPromise());
    }

    private FullHttpRequest request(int topic, long seq, long dueNanos) {
        ByteBuf body = channel.alloc().buffer(bench.options().payloadBytes() + 128);
        body.writeCharSequence("topic=", StandardCharsets.US_ASCII);
        body.writeCharSequence(bench.topicForm(topic), StandardCharsets.US_ASCII);
        body.writeCharSequence("&data=", StandardCharsets.US_ASCII);
        // The data line: "<topic> <seq> <dueNanos> <padding>" (spaces form-encoded as '+').
        int start = body.writerIndex();
        body.writeCharSequence(Integer.toString(topic), StandardCharsets.US_ASCII);
        body.writeByte('+');
        body.writeCharSequence(Long.toString(seq), StandardCharsets.US_ASCII);
        body.writeByte('+');
        body.writeCharSequence(Long.toString(dueNanos), StandardCharsets.US_ASCII);
        body.writeByte('+');
        int pad = bench.options().payloadBytes() - (body.writerIndex() - start);
        for (int i = 0; i < pad; i++) {
            body.writeByte('x');
        }
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                "/.well-known/mercure", body);
        req.headers().set(HttpHeaderNames.HOST, bench.hostHeader(target))
                .set(HttpHeaderNames.AUTHORIZATION, bench.publisherAuthorization())
                .set(HttpHeaderNames.CONTENT_TYPE, "application/x-www-form-urlencoded")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return req;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
        Pending p = pending.poll();
        if (p == null) {
            return;
        }
        int status = res.status().code();
        if (status == 200) {
            bench.acked(p.topic).set((int) p.seq);
            if (p.measured) {
                stats.publishAcked++;
                LoopStats.record(stats.publishAck, System.nanoTime() - p.dueNanos);
            }
        } else {
            failed(p.measured, "http-" + status);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Pending p;
        while ((p = pending.poll()) != null) {
            failed(p.measured, "closed");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void failed(boolean measured, String cause) {
        if (measured) {
            stats.publishFailed(cause);
        }
    }

    /** Unanswered publishes (read on the loop). */
    int inFlight() {
        return pending.size();
    }

    void close() {
        if (channel != null) {
            channel.close();
        }
    }
}
