package dev.sluice.admission;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How long a connection that is not (yet) an SSE stream may keep the gateway waiting.
 *
 * <ul>
 *   <li>{@code --header-timeout}: a request head (request line and headers) must be complete this
 *       long after the connection opened, or after the first byte of a request on a kept-alive
 *       connection. A client that sent part of a head gets {@code 408 Request Timeout} and the
 *       close; one that sent nothing at all is closed without an answer (it asked nothing). This
 *       is what stops slowloris: a client dribbling header bytes holds a connection for at most
 *       the timeout.</li>
 *   <li>{@code --idle-timeout}: a kept-alive connection without a request for this long is
 *       closed, and so is one whose request body stalls (no byte) for this long (with a 408).
 *       While the gateway itself works on a request (verifying a token, storing an update) no
 *       timer runs.</li>
 * </ul>
 *
 * <p>Per connection there are two handlers sharing one state: {@link #raw} sits before the HTTP
 * codec and sees bytes arrive; {@link #decoded} sits after it and sees request heads, ends of
 * bodies and outgoing responses. When a subscribe request becomes a stream, the edge removes
 * both and the stream lives by its heartbeats instead. Everything runs on the connection's
 * event loop; there is one scheduled task at a time.
 */
public final class RequestTimeouts {

    public static final String RAW = "timeouts-raw";
    public static final String DECODED = "timeouts";

    private final long headerNanos;
    private final long idleNanos;
    private final RequestLimits limits;
    private final Counter idleClosed;

    public RequestTimeouts(Duration header, Duration idle, RequestLimits limits, Counter idleClosed) {
        this.headerNanos = header.toNanos();
        this.idleNanos = idle.toNanos();
        this.limits = limits;
        this.idleClosed = idleClosed;
    }

    /** The two handlers of one new connection. */
    public Connection newConnection() {
        return new Connection();
    }

    private enum Phase { HEAD, BODY, HANDLING, IDLE }

    /** One connection's state and its two handlers. */
    public final class Connection {
        public final ChannelInboundHandlerAdapter raw = new Raw();
        public final ChannelDuplexHandler decoded = new Decoded();

        private Phase phase = Phase.HEAD;
        /** Some byte of the current request head has arrived. */
        private boolean sawBytes;
        private long lastReadNanos = System.nanoTime();
        /** Bytes of a further (pipelined) request arrived while one was being handled. */
        private boolean bytesSinceRequest;
        /** Requests read completely whose final response is not written yet. */
        private int pending;
        private ScheduledFuture<?> timer;
        private ChannelHandlerContext ctx;
        private boolean removed;

        private void arm(long delayNanos) {
            cancel();
            if (delayNanos > 0 && !removed) {
                timer = ctx.executor().schedule(this::expired, delayNanos, TimeUnit.NANOSECONDS);
            }
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        private void startHead(boolean withBytes) {
            phase = Phase.HEAD;
            sawBytes = withBytes;
            arm(headerNanos);
        }

        private void expired() {
            timer = null;
            if (removed || !ctx.channel().isActive()) {
                return;
            }
            switch (phase) {
                case HEAD -> {
                    if (sawBytes) {
                        limits.countHeaderTimeout();
                        answerAndClose("The request head (request line and headers) was not complete within "
                                + seconds(headerNanos) + " (--header-timeout).");
                    } else {
                        idleClosed.increment();
                        ctx.close();
                    }
                }
                case BODY -> {
                    long quiet = System.nanoTime() - lastReadNanos;
                    if (quiet < idleNanos) {
                        arm(idleNanos - quiet);
                    } else {
                        limits.countBodyTimeout();
                        answerAndClose("The request body stalled: no byte for " + seconds(idleNanos)
                                + " (--idle-timeout).");
                    }
                }
                case IDLE -> {
                    idleClosed.increment();
                    ctx.close();
                }
                case HANDLING -> { }
            }
        }

        private void answerAndClose(String message) {
            byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT,
                    Unpooled.wrappedBuffer(body));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            removed = true; // nothing more is read or timed on this connection
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        /** Before the codec: bytes arriving. */
        private final class Raw extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (msg instanceof ByteBuf buf && buf.isReadable()) {
                    lastReadNanos = System.nanoTime();
                    if (phase == Phase.IDLE) {
                        startHead(true);
                    } else if (phase == Phase.HEAD) {
                        sawBytes = true;
                    } else if (phase == Phase.HANDLING) {
                        bytesSinceRequest = true;
                    }
                }
                c.fireChannelRead(msg);
            }
        }

        /** After the codec: request heads and ends, and the responses written back. */
        private final class Decoded extends ChannelDuplexHandler {
            @Override
            public void handlerAdded(ChannelHandlerContext c) {
                ctx = c;
                if (c.channel().isActive()) {
                    startHead(false);
                }
            }

            @Override
            public void channelActive(ChannelHandlerContext c) {
                startHead(false);
                c.fireChannelActive();
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext c) {
                removed = true;
                cancel();
            }

            @Override
            public void channelInactive(ChannelHandlerContext c) {
                removed = true;
                cancel();
                c.fireChannelInactive();
            }

            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (msg instanceof HttpRequest req) {
                    bytesSinceRequest = false;
                    phase = Phase.BODY;
                    if (hasBody(req)) {
                        arm(idleNanos); // a body follows: it must not stall
                    } else {
                        cancel(); // its end follows at once
                    }
                }
                if (msg instanceof LastHttpContent) {
                    phase = Phase.HANDLING;
                    pending++;
                    cancel();
                }
                c.fireChannelRead(msg);
            }

            @Override
            public void write(ChannelHandlerContext c, Object msg, ChannelPromise promise) {
                boolean last = msg instanceof LastHttpContent
                        && !(msg instanceof HttpResponse r && r.status().code() < 200);
                if (!last) {
                    c.write(msg, promise);
                    return;
                }
                ChannelPromise p = promise.unvoid();
                p.addListener(f -> responded());
                c.write(msg, p);
            }
        }

        /** A final response went out: with nothing else in progress, the connection is idle. */
        private void responded() {
            pending = Math.max(0, pending - 1);
            if (pending == 0 && phase == Phase.HANDLING && !removed && ctx.channel().isActive()) {
                if (bytesSinceRequest) {
                    startHead(true); // part of the next head is here already: its clock runs
                } else {
                    phase = Phase.IDLE;
                    arm(idleNanos);
                }
            }
        }
    }

    private static boolean hasBody(HttpRequest req) {
        if (req.decoderResult().isFailure() || HttpUtil.isTransferEncodingChunked(req)) {
            return true;
        }
        try {
            return HttpUtil.getContentLength(req, 0L) > 0;
        } catch (NumberFormatException e) {
            return true; // the codec has refused it already; its end follows
        }
    }

    private static String seconds(long nanos) {
        long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }
}
