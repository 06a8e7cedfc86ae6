package dev.sluice.edge;

import dev.sluice.admission.RequestLimits;
import dev.sluice.admission.RequestTimeouts;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of a new connection.
 *
 * <ul>
 * <li>Plain: HTTP/1.1 codec, body aggregation with a size limit, router; a connection that opens
 *     with the HTTP/2 preface (prior knowledge) becomes HTTP/2 instead, and a request with
 *     {@code Upgrade: h2c} switches it to HTTP/2 with that request as stream 1.</li>
 * <li>TLS: the handshake first; ALPN then picks HTTP/2 ({@code h2}) or HTTP/1.1.</li>
 * <li>HTTP/2: one connection handler, and each stream a child channel with the same codec,
 *     aggregation and router as an HTTP/1.1 connection (see {@link Http2Streams}).</li>
 * </ul>
 * An HTTP/1.1 connection also has the request timeouts around its codec (--header-timeout,
 * --idle-timeout); the line and header limits are --max-url-length and --max-header-size. A
 * subscribe request later replaces the codec, aggregator, timeouts and router of its connection
 * (or its HTTP/2 stream) with a {@link StreamHandler}.
 */
final class PipelineInitializer extends ChannelInitializer<SocketChannel> {

    private static final Logger log = LoggerFactory.getLogger(PipelineInitializer.class);

    static final String CODEC = "http";
    static final String AGGREGATOR = "body";
    static final String ROUTER = "router";
    static final String UPGRADE = "h2c-upgrade";
    private static final String PRIOR_KNOWLEDGE = "h2-preface";
    private static final int MAX_CHUNK_SIZE = 8192;
    /** What a connection opens with when it speaks HTTP/2 with prior knowledge (RFC 9113, 3.4). */
    private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final RequestRouter router;
    private final int maxBodySize;
    private final BadRequestLog badRequests;
    private final dev.sluice.metrics.GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final dev.sluice.admission.Admission admission;
    private final ServerTls tls;
    private final Http2Streams http2;
    private final RequestLimits limits;
    private final RequestTimeouts timeouts;
    private final AltSvc altSvc;

    PipelineInitializer(RequestRouter router, int maxBodySize, BadRequestLog badRequests,
                        dev.sluice.metrics.GatewayMetrics metrics, AccessLog accessLog,
                        dev.sluice.admission.Admission admission, ServerTls tls, int maxConcurrentStreams,
                        RequestLimits limits, RequestTimeouts timeouts, AltSvc altSvc) {
        this.altSvc = altSvc;
        this.limits = limits;
        this.timeouts = timeouts;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.admission = admission;
        this.tls = tls;
        this.http2 = new Http2Streams(router, maxBodySize, badRequests, maxConcurrentStreams, metrics, accessLog,
                admission, limits, altSvc);
        this.router = router;
        this.maxBodySize = maxBodySize;
        this.badRequests = badRequests;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (tls != null) {
            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc())).addLast("alpn", new Alpn());
        } else {
            http1(ch.pipeline(), true);
        }
    }

    /**
     * HTTP/1.1, watching for the HTTP/2 preface; in cleartext also for {@code Upgrade: h2c}. The
     * request timeouts sit around the codec: raw bytes before it, decoded requests after it.
     */
    private void http1(ChannelPipeline p, boolean cleartext) {
        RequestTimeouts.Connection clock = timeouts.newConnection();
        HttpServerCodec codec = new HttpServerCodec(limits.maxUrlLength(), limits.maxHeaderSize(), MAX_CHUNK_SIZE);
        p.addLast(RequestTimeouts.RAW, clock.raw).addLast(PRIOR_KNOWLEDGE, new PriorKnowledge()).addLast(CODEC, codec);
        if (cleartext) {
            p.addLast(UPGRADE, new HttpServerUpgradeHandler(codec, this::upgrade, maxBodySize));
        }
        p.addLast(RequestTimeouts.DECODED, clock.decoded)
                .addLast(ResponseObserver.NAME, new ResponseObserver(metrics, accessLog, admission, altSvc))
                .addLast(AGGREGATOR, new LimitedBody(maxBodySize, badRequests, limits)).addLast(ROUTER, router);
    }

    /**
     * A request became an SSE stream: no more HTTP parsing, response observing, body aggregation
     * or request timeouts. Works on an HTTP/1.1 connection and on an HTTP/2 stream (which has no
     * timeouts nor upgrade handler of its own); the caller removes the router.
     */
    static void becomeStream(ChannelPipeline p) {
        for (String name : new String[] {RequestTimeouts.RAW, RequestTimeouts.DECODED, CODEC, UPGRADE,
                ResponseObserver.NAME, AGGREGATOR}) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
    }

    /** The handler of an {@code Upgrade: h2c} request: HTTP/2 in place of HTTP/1.1. */
    private HttpServerUpgradeHandler.UpgradeCodec upgrade(CharSequence protocol) {
        if (!AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)) {
            return null; // not ours (e.g. websocket): the request is answered as plain HTTP/1.1
        }
        return new Http2ServerUpgradeCodec(http2.connectionCodec(), http2.multiplexer(), ConnectionErrors.INSTANCE,
                new DropHttp1());
    }

    /**
     * The last handler of an HTTP/2 connection. A connection error (a client that sends something
     * other than frames after the preface, a broken frame) has already been answered by the codec
     * with a GOAWAY; what reaches here is only the report of it, which is the client's business:
     * logged at debug, and the connection closed, never a stack trace in the log.
     */
    @io.netty.channel.ChannelHandler.Sharable
    static final class ConnectionErrors extends io.netty.channel.ChannelInboundHandlerAdapter {
        static final String NAME = "h2-errors";
        static final ConnectionErrors INSTANCE = new ConnectionErrors();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /**
     * Removes what is left of the HTTP/1.1 pipeline once it became HTTP/2 (the upgrade handler
     * removes itself and the codec), then itself.
     */
    private static final class DropHttp1 extends ChannelHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ChannelPipeline p = ctx.pipeline();
            for (String name : new String[] {RequestTimeouts.RAW, RequestTimeouts.DECODED, ResponseObserver.NAME,
                    AGGREGATOR, ROUTER}) {
                if (p.get(name) != null) {
                    p.remove(name);
                }
            }
            p.remove(this);
        }
    }

    /**
     * Reads the first bytes of a connection: the HTTP/2 preface turns it into an HTTP/2
     * connection (prior knowledge, as proxies and gRPC-style clients speak it); anything else goes
     * on to the HTTP/1.1 codec untouched. Waits for at most the preface's 24 bytes.
     */
    private final class PriorKnowledge extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int n = Math.min(in.readableBytes(), HTTP2_PREFACE.length);
            for (int i = 0; i < n; i++) {
                if (in.getByte(in.readerIndex() + i) != HTTP2_PREFACE[i]) {
                    ctx.pipeline().remove(this); // HTTP/1.x: the bytes read so far go to the codec
                    return;
                }
            }
            if (n < HTTP2_PREFACE.length) {
                return;
            }
            ChannelPipeline p = ctx.pipeline();
            for (String name : new String[] {RequestTimeouts.DECODED, CODEC, UPGRADE, ResponseObserver.NAME,
                    AGGREGATOR, ROUTER}) {
                if (p.get(name) != null) {
                    p.remove(name);
                }
            }
            p.addLast(Http2Streams.CONNECTION, http2.connectionCodec()).addLast(Http2Streams.STREAMS, http2.multiplexer())
                    .addLast(ConnectionErrors.NAME, ConnectionErrors.INSTANCE);
            // HTTP/2 keeps its connection open for its streams: the HTTP/1.1 request timeouts go.
            if (p.get(RequestTimeouts.RAW) != null) {
                p.remove(RequestTimeouts.RAW);
            }
            p.remove(this); // the preface and what follows go to the HTTP/2 codec
        }
    }

    /** After the TLS handshake: HTTP/2 when the client chose h2, else HTTP/1.1. */
    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        Alpn() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                ctx.pipeline().addLast(Http2Streams.CONNECTION, http2.connectionCodec())
                        .addLast(Http2Streams.STREAMS, http2.multiplexer())
                        .addLast(ConnectionErrors.NAME, ConnectionErrors.INSTANCE);
            } else {
                http1(ctx.pipeline(), false);
            }
        }

        /** A failed handshake (an untrusted certificate, plain HTTP on the TLS port) is the client's business. */
        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("TLS connection {} failed before a protocol was chosen: {}", ctx.channel().remoteAddress(),
                    cause.toString());
            ctx.close();
        }
    }

    /**
     * Aggregates bodies. One over the limit gets a 413 that names the limit, then the close; so
     * does a request that announces such a body with {@code Expect: 100-continue} (what curl does
     * for large bodies), before the client sends it. An expectation other than 100-continue gets
     * a 417.
     */
    static final class LimitedBody extends HttpObjectAggregator {
        private final int limit;
        private final BadRequestLog badRequests;
        private final RequestLimits limits;

        LimitedBody(int limit, BadRequestLog badRequests, RequestLimits limits) {
            super(limit);
            this.limit = limit;
            this.badRequests = badRequests;
            this.limits = limits;
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            String expect = start.headers().get(HttpHeaderNames.EXPECT);
            if (expect == null || !start.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                return super.newContinueResponse(start, maxContentLength, pipeline);
            }
            if (!expect.trim().equalsIgnoreCase("100-continue")) {
                start.headers().remove(HttpHeaderNames.EXPECT);
                return refusal(pipeline, HttpResponseStatus.EXPECTATION_FAILED, "Expect: " + expect
                        + " is not supported; only Expect: 100-continue is.");
            }
            long announced = HttpUtil.getContentLength(start, -1L);
            if (announced > limit) {
                limits.countBodyTooLarge();
                start.headers().remove(HttpHeaderNames.EXPECT);
                return refusal(pipeline, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "The request body (Content-Length: "
                        + announced + ") is larger than " + limit + " bytes (--max-body-size).");
            }
            return super.newContinueResponse(start, maxContentLength, pipeline);
        }

        /** A refused expectation ends the connection: the client may or may not send the body anyway. */
        @Override
        protected boolean closeAfterContinueResponse(Object response) {
            return ignoreContentAfterContinueResponse(response);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            String message = tooLarge();
            limits.countBodyTooLarge();
            badRequests.warn(ctx, 413, message);
            FullHttpResponse res = Responses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, message);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        private String tooLarge() {
            return "The request body is larger than " + limit + " bytes (--max-body-size).";
        }

        private FullHttpResponse refusal(ChannelPipeline pipeline, HttpResponseStatus status, String message) {
            badRequests.warn(String.valueOf(pipeline.channel().remoteAddress()), status.code(), message);
            FullHttpResponse res = Responses.error(status, message);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return res;
        }
    }
}
