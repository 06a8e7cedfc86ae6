package dev.sluice.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.util.function.LongSupplier;

/**
 * The outbound end of an SSE stream on an HTTP/3 request stream, and the count of its queued
 * bytes that the subscriber's byte budget reads ({@link #getAsLong}).
 *
 * <p>As on HTTP/2 (see {@link Http2SseFramer}), each pre-encoded event buffer the hub writes (a
 * retained slice of the shared buffer) becomes one DATA frame around it, and an empty buffer is
 * how the hub ends a stream: it becomes an empty DATA frame and, once that and everything before
 * it is taken by QUIC, the stream's FIN. A close before that (the reader did not take the end
 * within the grace period, or the hub cut it loose) resets the stream ({@code RESET_STREAM},
 * {@code H3_REQUEST_CANCELLED}), which drops what QUIC still holds for it; the connection and its
 * other streams go on.
 *
 * <p>Why the count is ours: a QUIC stream channel has no outbound buffer. A write is handed to
 * QUIC at once as far as the stream's send capacity (the peer's flow-control credit, bounded by
 * the congestion window) allows, and the rest waits in the channel until credit comes; its
 * writability and {@code bytesBeforeUnwritable} report that credit, not what waits. So this
 * handler counts the bytes written to it whose write has not completed (completion is the
 * hand-over to QUIC, or a failure), which is what waits beyond what flow control lets through:
 * the same measure as an HTTP/2 stream's. Writes on a stream complete in the order they were
 * made, so the sizes wait in a ring and one listener (this handler) takes them off.
 *
 * <p>A reader that stops the stream (a closed {@code EventSource}) is noticed at the next write
 * to it, an event or a heartbeat (see {@link #stoppedByPeer}), and the stream is closed then.
 *
 * <p>Each write costs a promise and the frame object, plus what Netty's HTTP/3 codec allocates for
 * the frame header: like HTTP/2, deliveries over HTTP/3 are not allocation-free. All of it runs on
 * the stream's event loop (its connection's), so the count needs no synchronisation.
 */
final class Http3SseFramer extends ChannelOutboundHandlerAdapter implements ChannelFutureListener, LongSupplier {

    static final String NAME = "sse-h3-frames";

    /** Bytes written and not yet handed to QUIC. */
    private long queued;
    /** Sizes of the writes not yet complete, oldest first (a ring). */
    private int[] sizes = new int[16];
    private int head;
    private int count;
    /** Our FIN is handed to QUIC: the stream is over on our side, a close needs no reset. */
    private boolean endWritten;
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public long getAsLong() {
        return queued;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.write(msg, promise);
            return;
        }
        ChannelPromise written = promise.isVoid() ? ctx.newPromise() : promise;
        if (buf.isReadable()) {
            push(buf.readableBytes());
            // Added before the caller's listeners, so the count is right when they run.
            written.addListener(this);
            ctx.write(new DefaultHttp3DataFrame(buf), written);
            if (!written.isDone() && stoppedByPeer(ctx.channel())) {
                ctx.channel().close();
            }
        } else {
            buf.release();
            // FIN only once this frame, and so everything queued before it, is with QUIC: a FIN
            // sent directly would overtake the writes still waiting in the channel.
            written.addListener(f -> {
                if (f.isSuccess()) {
                    endWritten = true;
                    ((QuicStreamChannel) ctx.channel()).shutdownOutput(ctx.newPromise());
                }
            });
            ctx.write(new DefaultHttp3DataFrame(Unpooled.EMPTY_BUFFER), written);
        }
    }

    /** One counted write is complete. A failed one (the reader stopped the stream) ends the stream. */
    @Override
    public void operationComplete(ChannelFuture f) {
        queued -= pop();
        if (!f.isSuccess()) {
            ctx.channel().close();
        }
    }

    /**
     * Did the peer stop this stream ({@code STOP_SENDING}, what a browser sends when an
     * {@code EventSource} is closed)? Netty's QUIC stream channel says so only by failing writes
     * that were queued when the news came; a write made after it is queued and never completes.
     * What shows it: the stream is unwritable although the send capacity it last heard of is not
     * zero. (Held back by flow control or congestion, a stream is unwritable with a capacity of
     * zero: QUIC's capacity is read after every send, and a stopped stream's is an error, which
     * leaves the last one in place.) Called only just after a write that was queued.
     */
    private static boolean stoppedByPeer(io.netty.channel.Channel ch) {
        return !ch.isWritable() && ch.bytesBeforeUnwritable() > 0;
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!endWritten && ctx.channel().isActive()) {
            ((QuicStreamChannel) ctx.channel()).shutdownOutput(Http3ErrorCode.H3_REQUEST_CANCELLED.code(),
                    ctx.newPromise());
        }
        ctx.close(promise);
    }

    private void push(int size) {
        if (count == sizes.length) {
            int[] grown = new int[sizes.length * 2];
            for (int i = 0; i < count; i++) {
                grown[i] = sizes[(head + i) % sizes.length];
            }
            sizes = grown;
            head = 0;
        }
        sizes[(head + count) % sizes.length] = size;
        count++;
        queued += size;
    }

    private int pop() {
        if (count == 0) {
            return 0;
        }
        int size = sizes[head];
        head = (head + 1) % sizes.length;
        count--;
        return size;
    }
}
