package dev.sluice.edge;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;

/**
 * HTTP/2 connections: one frame codec per connection, and each stream a child channel whose
 * pipeline is that of an HTTP/1.1 connection (codec, response observer, aggregation with the body
 * limit, router), so
 * every endpoint answers the same on both protocols.
 *
 * <p>A child channel has its own writability, fed by the stream's flow-control window and the
 * bytes written to it and not yet taken by the connection: an SSE stream on it is paced and
 * budgeted alone (see {@code Subscriber}), and one stream whose reader stops holds back only its
 * own bytes, never the connection's other streams. All of a connection's streams run on the
 * connection's event loop, so the hub's per-loop dispatch applies to them unchanged.
 */
final class Http2Streams {

    static final String CONNECTION = "h2";
    static final String STREAMS = "h2-streams";
    /** The socket's water marks (see HttpServer), for each stream as for a connection. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 128 * 1024);

    /**
     * The water marks for a subscriber budget: a channel must turn unwritable no later than its
     * queue reaches the budget, or a subscriber on a conflated topic would be cut as slow (the
     * budget) before conflation (which starts when the channel is unwritable) ever began.
     */
    static WriteBufferWaterMark waterMark(long subscriberBudget) {
        int high = (int) Math.min(WATER_MARK.high(), subscriberBudget);
        return new WriteBufferWaterMark(Math.min(WATER_MARK.low(), high / 2), high);
    }

    private final RequestRouter router;
    private final int maxBodySize;
    private final BadRequestLog badRequests;
    private final int maxConcurrentStreams;
    private final StreamInitializer streams = new StreamInitializer();
    private final dev.sluice.metrics.GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final dev.sluice.admission.Admission admission;

    private final dev.sluice.admission.RequestLimits limits;
    private final AltSvc altSvc;

    Http2Streams(RequestRouter router, int maxBodySize, BadRequestLog badRequests, int maxConcurrentStreams,
                 dev.sluice.metrics.GatewayMetrics metrics, AccessLog accessLog, dev.sluice.admission.Admission admission,
                 dev.sluice.admission.RequestLimits limits, AltSvc altSvc) {
        this.altSvc = altSvc;
        this.limits = limits;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.admission = admission;
        this.router = router;
        this.maxBodySize = maxBodySize;
        this.badRequests = badRequests;
        this.maxConcurrentStreams = maxConcurrentStreams;
    }

    /** The frame codec of one new connection (not sharable). */
    Http2FrameCodec connectionCodec() {
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(maxConcurrentStreams)
                        .maxHeaderListSize(limits.maxHeaderSize()))
                .build();
    }

    /** The handler that makes a child channel of each new stream of one connection. */
    Http2MultiplexHandler multiplexer() {
        return new Http2MultiplexHandler(streams);
    }

    private final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.config().setWriteBufferWaterMark(WATER_MARK);
            ch.pipeline()
                    .addLast(PipelineInitializer.CODEC, new Http2StreamFrameToHttpObjectCodec(true))
                    .addLast(ResponseObserver.NAME, new ResponseObserver(metrics, accessLog, admission, altSvc))
                    .addLast(PipelineInitializer.AGGREGATOR, new PipelineInitializer.LimitedBody(maxBodySize, badRequests, limits))
                    .addLast(PipelineInitializer.ROUTER, router);
        }
    }
}
