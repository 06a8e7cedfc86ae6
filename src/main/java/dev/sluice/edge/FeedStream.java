package dev.sluice.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one {@link Extras.Feed}: an SSE response whose samples are made on the connection's own
 * event loop, one per interval, and skipped while the socket is not writable. The stream ends when
 * the client goes away; a sample that cannot be made is logged once and the stream goes on.
 */
final class FeedStream {

    private static final Logger log = LoggerFactory.getLogger(FeedStream.class);

    private final Extras.Feed feed;
    private final AtomicInteger open = new AtomicInteger();

    FeedStream(Extras.Feed feed) {
        this.feed = feed;
    }

    void start(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (open.incrementAndGet() > feed.maxStreams()) {
            open.decrementAndGet();
            var res = Responses.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "This feed already has "
                    + feed.maxStreams() + " streams open, its limit; try again later.");
            res.headers().set(HttpHeaderNames.RETRY_AFTER, "10");
            Responses.send(ctx, req, res);
            return;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache, no-store")
                .set("X-Accel-Buffering", "no")
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ctx.write(head);
        ctx.writeAndFlush(new DefaultHttpContent(ascii(":\nretry: 2000\n\n")));
        boolean[] failedOnce = {false};
        Runnable sample = () -> {
            if (!ctx.channel().isActive() || !ctx.channel().isWritable()) {
                return;
            }
            String data;
            try {
                data = feed.data().get();
            } catch (RuntimeException e) {
                if (!failedOnce[0]) {
                    failedOnce[0] = true;
                    log.warn("a feed sample could not be made; the stream goes on", e);
                }
                return;
            }
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("data: " + data.replaceAll("[\\r\\n]+", " ")
                    + "\n\n", StandardCharsets.UTF_8)), ctx.voidPromise());
        };
        ScheduledFuture<?> ticks = ctx.executor().scheduleAtFixedRate(sample, 0, feed.interval().toMillis(),
                TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(f -> {
            ticks.cancel(false);
            open.decrementAndGet();
        });
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }
}
