package dev.sluice.edge;

import dev.sluice.admission.RequestLimits;
import dev.sluice.admission.RequestTimeouts;
import io.netty.channel.ChannelFutureListener;
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

/**
 * The pipeline of a new connection: request timeouts (around the codec), HTTP/1.1 codec with the
 * line and header limits, the response observer, body aggregation with a size limit, router. A
 * subscribe request later replaces all of them with a {@link StreamHandler}.
 */
final class PipelineInitializer extends ChannelInitializer<SocketChannel> {

    static final String CODEC = "http";
    static final String AGGREGATOR = "body";
    private static final int MAX_CHUNK_SIZE = 8192;

    private final RequestRouter router;
    private final int maxBodySize;
    private final BadRequestLog badRequests;
    private final dev.sluice.metrics.GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final dev.sluice.admission.Admission admission;
    private final RequestLimits limits;
    private final RequestTimeouts timeouts;

    PipelineInitializer(RequestRouter router, int maxBodySize, BadRequestLog badRequests,
                        dev.sluice.metrics.GatewayMetrics metrics, AccessLog accessLog,
                        dev.sluice.admission.Admission admission, RequestLimits limits, RequestTimeouts timeouts) {
        this.limits = limits;
        this.timeouts = timeouts;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.admission = admission;
        this.router = router;
        this.maxBodySize = maxBodySize;
        this.badRequests = badRequests;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        RequestTimeouts.Connection clock = timeouts.newConnection();
        ch.pipeline()
                .addLast(RequestTimeouts.RAW, clock.raw)
                .addLast(CODEC, new HttpServerCodec(limits.maxUrlLength(), limits.maxHeaderSize(), MAX_CHUNK_SIZE))
                .addLast(RequestTimeouts.DECODED, clock.decoded)
                .addLast(ResponseObserver.NAME, new ResponseObserver(metrics, accessLog, admission))
                .addLast(AGGREGATOR, new LimitedBody(maxBodySize, badRequests, limits))
                .addLast("router", router);
    }

    /**
     * A request became an SSE stream: no more HTTP parsing, response observing, body aggregation
     * or request timeouts.
     */
    static void becomeStream(ChannelPipeline p) {
        p.remove(RequestTimeouts.RAW);
        p.remove(RequestTimeouts.DECODED);
        p.remove(CODEC);
        p.remove(ResponseObserver.NAME);
        p.remove(AGGREGATOR);
    }

    /**
     * Aggregates bodies. One over the limit gets a 413 that names the limit, then the close; so
     * does a request that announces such a body with {@code Expect: 100-continue} (what curl does
     * for large bodies), before the client sends it. An expectation other than 100-continue gets
     * a 417.
     */
    private static final class LimitedBody extends HttpObjectAggregator {
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
