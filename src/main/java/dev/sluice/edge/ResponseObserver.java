package dev.sluice.edge;

import dev.sluice.admission.Admission;
import dev.sluice.metrics.GatewayMetrics;
import dev.sluice.metrics.HttpRoute;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import java.net.InetAddress;

/**
 * Sits between the HTTP codec and the body aggregator of a connection that still speaks HTTP, so
 * it sees every request head and every complete response, whoever wrote it (the router, an
 * endpoint, the aggregator's 413 and 417): it counts each response by route and status
 * ({@code sluice_http_responses_total}) and, with {@code --access-log}, logs publish and subscribe
 * answers. A subscribe that becomes a stream removes it; {@link SubscribeEndpoint} counts that 200.
 * One instance per connection; requests on a connection are answered in order, so the route of the
 * request in hand is the route of the next response.
 */
final class ResponseObserver extends ChannelDuplexHandler {

    static final String NAME = "responses";

    private final GatewayMetrics metrics;
    private final AccessLog accessLog;
    private final Admission admission;
    private HttpRoute route = HttpRoute.OTHER;
    private long startedNanos;
    private long requestBytes;
    private InetAddress client;
    /** What a TCP response advertises of HTTP/3; null on HTTP/3 itself. */
    private final AltSvc altSvc;
    /**
     * Topics of the request in hand, set by the endpoint that parsed them (for the access log). A
     * field, not a channel attribute: an attribute would stay in the channel's attribute map for
     * the life of the connection, a stream's included.
     */
    private int topics;

    ResponseObserver(GatewayMetrics metrics, AccessLog accessLog, Admission admission, AltSvc altSvc) {
        this.altSvc = altSvc;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.admission = admission;
    }

    /** Tells the observer of this pipeline (if it has one) how many topics the request in hand names. */
    static void topics(io.netty.channel.ChannelPipeline pipeline, int topics) {
        if (pipeline.get(NAME) instanceof ResponseObserver observer) {
            observer.topics = topics;
        }
    }

    /** The route label of a request: fixed names, never the path. */
    static HttpRoute route(HttpMethod method, String uri) {
        int end = uri.indexOf('?');
        String path = end < 0 ? uri : uri.substring(0, end);
        return switch (path) {
            case RequestRouter.HUB_PATH -> method.equals(HttpMethod.GET) || method.name().equals("QUERY")
                    ? HttpRoute.SUBSCRIBE : method.equals(HttpMethod.POST) ? HttpRoute.PUBLISH : HttpRoute.PREFLIGHT;
            case "/metrics" -> HttpRoute.METRICS;
            case "/healthz" -> HttpRoute.HEALTHZ;
            case "/readyz" -> HttpRoute.READYZ;
            default -> HttpRoute.OTHER;
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof HttpRequest req) {
            route = req.decoderResult().isFailure() ? HttpRoute.OTHER : route(req.method(), req.uri());
            startedNanos = System.nanoTime();
            topics = 0;
            client = null;
            if (accessLog.enabled() && (route == HttpRoute.PUBLISH || route == HttpRoute.SUBSCRIBE)) {
                client = admission.client(ctx.channel(), req.headers());
                requestBytes = HttpUtil.getContentLength(req, 0L);
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse res && res.status().code() >= 200) {
            int status = res.status().code();
            metrics.response(route, status);
            String alternative = altSvc == null ? null : altSvc.value();
            if (alternative != null) {
                res.headers().set("alt-svc", alternative);
            }
            if (client != null) {
                long bytes = route == HttpRoute.PUBLISH ? requestBytes
                        : msg instanceof FullHttpResponse full ? full.content().readableBytes() : 0;
                accessLog.answered(ctx.channel().id().asShortText(), route, status, topics,
                        bytes, System.nanoTime() - startedNanos, client);
            }
        }
        ctx.write(msg, promise);
    }
}
