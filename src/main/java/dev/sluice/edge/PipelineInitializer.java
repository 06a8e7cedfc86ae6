package dev.sluice.edge;

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
 * The pipeline of a new connection: HTTP/1.1 codec, body aggregation with a size limit, router.
 * A subscribe request later replaces all three with a {@link StreamHandler}.
 */
final class PipelineInitializer extends ChannelInitializer<SocketChannel> {

    static final String CODEC = "http";
    static final String AGGREGATOR = "body";
    /** Longest request line (method, URL, version); longer gets 414. */
    static final int MAX_INITIAL_LINE = 8192;
    /** Most bytes of request headers in all; more gets 431. */
    static final int MAX_HEADER_SIZE = 16384;
    private static final int MAX_CHUNK_SIZE = 8192;

    private final RequestRouter router;
    private final int maxBodySize;
    private final BadRequestLog badRequests;
    private final dev.sluice.metrics.GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final dev.sluice.admission.Admission admission;

    PipelineInitializer(RequestRouter router, int maxBodySize, BadRequestLog badRequests,
                        dev.sluice.metrics.GatewayMetrics metrics, AccessLog accessLog,
                        dev.sluice.admission.Admission admission) {
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.admission = admission;
        this.router = router;
        this.maxBodySize = maxBodySize;
        this.badRequests = badRequests;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast(CODEC, new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE))
                .addLast(ResponseObserver.NAME, new ResponseObserver(metrics, accessLog, admission))
                .addLast(AGGREGATOR, new LimitedBody(maxBodySize, badRequests))
                .addLast("router", router);
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

        LimitedBody(int limit, BadRequestLog badRequests) {
            super(limit);
            this.limit = limit;
            this.badRequests = badRequests;
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
