package dev.sluice.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;

/**
 * The outbound end of an SSE stream on an HTTP/2 stream: the hub writes the same pre-encoded
 * event bytes as to an HTTP/1.0 connection (a retained slice of the shared buffer, no chunk
 * framing), and each becomes one DATA frame around that slice, so the payload is still encoded
 * once for all subscribers. An empty buffer is how the hub ends a stream (see
 * {@code Subscriber.close}): it becomes an empty DATA frame with END_STREAM, sent after everything
 * queued before it. If the reader never takes those bytes, the hub's later close of the channel
 * resets the stream (RST_STREAM), and the connection's other streams go on (see {@link #close}).
 *
 * <p>Each frame object is one small allocation per write, as are the promise and flow-control
 * entry Netty's HTTP/2 child channel makes for every frame: HTTP/2 deliveries are not
 * allocation-free the way HTTP/1.1 deliveries are (see BENCHMARKS.md).
 */
final class Http2SseFramer extends ChannelOutboundHandlerAdapter {

    static final String NAME = "sse-frames";

    /** Our END_STREAM is on the socket: the stream is over on our side, a close needs no reset. */
    private boolean endWritten;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            if (buf.isReadable()) {
                ctx.write(new DefaultHttp2DataFrame(buf, false), promise);
            } else {
                buf.release();
                ChannelPromise written = promise.isVoid() ? ctx.newPromise() : promise;
                // Added before the caller's listeners (its close runs after this is set).
                written.addListener(f -> endWritten |= f.isSuccess());
                ctx.write(new DefaultHttp2DataFrame(true), written);
            }
        } else {
            ctx.write(msg, promise);
        }
    }

    /**
     * Closing the stream's channel does not by itself reset a stream whose request has ended: the
     * stream would stay open on the connection, holding its queued bytes and a slot of the
     * connection's concurrent streams. So unless our END_STREAM went out, the stream is reset
     * (RST_STREAM, CANCEL), which drops what is queued for it; the connection is untouched.
     */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!endWritten && ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL), ctx.voidPromise());
        }
        ctx.close(promise);
    }
}
