package dev.sluice.edge;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The pipeline of a new connection: HTTP/1.1 codec, body aggregation with a size limit, router.
 * A subscribe request later replaces all three with a {@link StreamHandler}.
 */
final class PipelineInitializer extends ChannelInitializer<SocketChannel> {

    static final String CODEC = "http";
    static final String AGGREGATOR = "body";

    private final RequestRouter router;
    private final int maxBodySize;

    PipelineInitializer(RequestRouter router, int maxBodySize) {
        this.router = router;
        this.maxBodySize = maxBodySize;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.pipeline()
                .addLast(CODEC, new HttpServerCodec(8192, 16384, 8192))
                .addLast(AGGREGATOR, new LimitedBody(maxBodySize))
                .addLast("router", router);
    }

    /** Aggregates bodies; one over the limit gets a 413 that names the limit, then the close. */
    private static final class LimitedBody extends HttpObjectAggregator {
        private final int limit;

        LimitedBody(int limit) {
            super(limit);
            this.limit = limit;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            FullHttpResponse res = Responses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "The request body is larger than " + limit + " bytes (--max-body-size).");
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

}
