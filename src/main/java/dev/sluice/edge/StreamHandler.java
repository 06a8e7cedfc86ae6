package dev.sluice.edge;

import dev.sluice.hub.Hub;
import dev.sluice.hub.Subscriber;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * The only handler left on a subscriber connection. Inbound bytes mean nothing on an SSE stream
 * and are dropped; a closed channel unregisters the subscriber at once (no waiting for a
 * heartbeat to fail); regained writability resumes a paused replay.
 */
final class StreamHandler extends ChannelInboundHandlerAdapter {
    private final Hub hub;
    private final Subscriber subscriber;
    /** For the access log; null when it is off, so an idle stream keeps nothing for it. */
    private final Opened opened;

    /** What the access log says of the stream when it closes. */
    record Opened(String connection, int topics, java.net.InetAddress client, AccessLog accessLog, long nanos) {
        Opened(String connection, int topics, java.net.InetAddress client, AccessLog accessLog) {
            this(connection, topics, client, accessLog, System.nanoTime());
        }
    }

    /** Runs once when the stream ends (its subscription events), or null. */
    private Runnable onEnd;

    StreamHandler(Hub hub, Subscriber subscriber, Opened opened) {
        this.hub = hub;
        this.subscriber = subscriber;
        this.opened = opened;
    }

    StreamHandler(Hub hub, Subscriber subscriber, Opened opened, Runnable onEnd) {
        this(hub, subscriber, opened);
        this.onEnd = onEnd;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        hub.unregister(subscriber);
        if (opened != null) {
            opened.accessLog().streamClosed(opened.connection(), subscriber.closeCause().label(),
                    subscriber.bytesWritten(), System.nanoTime() - opened.nanos(), opened.client());
        }
        Runnable end = onEnd;
        if (end != null) {
            onEnd = null;
            end.run();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            hub.pump(subscriber);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset by the peer (of the connection, or of the HTTP/3 stream) is how most subscribers
        // leave; anything else is worth a close too.
        if (!(cause instanceof IOException) && !(cause instanceof io.netty.handler.codec.quic.QuicStreamResetException)) {
            hub.failed(subscriber);
            org.slf4j.LoggerFactory.getLogger(StreamHandler.class).debug("stream error, closing {}", subscriber, cause);
        }
        ctx.close();
    }
}
