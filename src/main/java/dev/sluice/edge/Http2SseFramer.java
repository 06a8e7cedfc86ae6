package dev.sluice.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;

/**
 * The outbound end of an SSE stream on an HTTP/2 stream: the hub writes the same pre-encoded
 * event bytes as to an HTTP/1.0 connection (a retained slice of the shared buffer, no chunk
 * framing), and each becomes one DATA frame around that slice, so the payload is still encoded
 * once for all subscribers. An empty buffer is how the hub ends a stream (see
 * {@code Subscriber.close}): it becomes an empty DATA frame with END_STREAM, sent after everything
 * queued before it. If the reader never takes those bytes, the hub's later close of the channel
 * resets the stream (RST_STREAM), and the connection's other streams go on.
 *
 * <p>Each frame object is one small allocation per write, as are the promise and flow-control
 * entry Netty's HTTP/2 child channel makes for every frame: HTTP/2 deliveries are not
 * allocation-free the way HTTP/1.1 deliveries are (see BENCHMARKS.md).
 */
final class Http2SseFramer extends ChannelOutboundHandlerAdapter {

    static final String NAME = "sse-frames";

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            if (buf.isReadable()) {
                ctx.write(new DefaultHttp2DataFrame(buf, false), promise);
            } else {
                buf.release();
                ctx.write(new DefaultHttp2DataFrame(true), promise);
            }
        } else {
            ctx.write(msg, promise);
        }
    }
}
