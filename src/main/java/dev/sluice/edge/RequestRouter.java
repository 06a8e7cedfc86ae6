package dev.sluice.edge;

import dev.sluice.metrics.GatewayMetrics;
import dev.sluice.transport.Transport;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each request to its endpoint: the Mercure hub URL (subscribe, publish, CORS preflight),
 * health, readiness and metrics. Anything else is a 404 or 405 that says what exists.
 */
@ChannelHandler.Sharable
final class RequestRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    static final String HUB_PATH = "/.well-known/mercure";
    private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);

    private final SubscribeEndpoint subscribe;
    private final PublishEndpoint publish;
    private final Transport transport;
    private final GatewayMetrics metrics;
    private final Cors cors;
    private final int maxQueryParams;

    RequestRouter(SubscribeEndpoint subscribe, PublishEndpoint publish, Transport transport, GatewayMetrics metrics,
                  Cors cors, int maxQueryParams) {
        this.subscribe = subscribe;
        this.publish = publish;
        this.transport = transport;
        this.metrics = metrics;
        this.cors = cors;
        this.maxQueryParams = maxQueryParams;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        DecoderResult decoded = req.decoderResult();
        if (decoded.isFailure()) {
            Responses.send(ctx, null, Responses.error(HttpResponseStatus.BAD_REQUEST,
                    "Malformed HTTP request: " + decoded.cause().getMessage()));
            return;
        }
        QueryStringDecoder query;
        try {
            query = QueryStringDecoder.builder().maxParams(maxQueryParams).semicolonIsNormalChar(true).build(req.uri());
            query.parameters(); // decode now, so a bad escape is a 400 here
        } catch (IllegalArgumentException e) {
            Responses.send(ctx, req, Responses.error(HttpResponseStatus.BAD_REQUEST,
                    "Malformed query string: " + e.getMessage()));
            return;
        }
        String path = query.path();
        HttpMethod method = req.method();
        switch (path) {
            case HUB_PATH -> {
                if (method.equals(HttpMethod.GET)) {
                    subscribe.handle(ctx, req, query);
                } else if (method.equals(HttpMethod.POST)) {
                    publish.handle(ctx, req, query);
                } else if (method.equals(HttpMethod.OPTIONS)) {
                    preflight(ctx, req);
                } else {
                    notAllowed(ctx, req, "GET, POST, OPTIONS");
                }
            }
            case "/healthz" -> {
                if (get(ctx, req)) {
                    Responses.send(ctx, req, Responses.text(HttpResponseStatus.OK, "ok\n"));
                }
            }
            case "/readyz" -> {
                if (get(ctx, req)) {
                    boolean ready = transport.isReady();
                    Responses.send(ctx, req, Responses.text(
                            ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            ready ? "ready (" + transport.describe() + ")\n"
                                    : "not ready: transport " + transport.describe() + " cannot take publishes\n"));
                }
            }
            case "/metrics" -> {
                if (get(ctx, req)) {
                    var res = Responses.text(HttpResponseStatus.OK, metrics.scrape());
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    Responses.send(ctx, req, res);
                }
            }
            default -> Responses.send(ctx, req, Responses.error(HttpResponseStatus.NOT_FOUND,
                    "Nothing at " + abbreviate(path) + ". The hub is at " + HUB_PATH
                            + "; also /healthz, /readyz, /metrics."));
        }
    }

    private boolean get(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.method().equals(HttpMethod.GET)) {
            return true;
        }
        notAllowed(ctx, req, "GET");
        return false;
    }

    private void notAllowed(ChannelHandlerContext ctx, FullHttpRequest req, String allow) {
        var res = Responses.error(HttpResponseStatus.METHOD_NOT_ALLOWED,
                "Method " + req.method() + " is not allowed here; use " + allow + ".");
        res.headers().set(HttpHeaderNames.ALLOW, allow);
        Responses.send(ctx, req, res);
    }

    private void preflight(ChannelHandlerContext ctx, FullHttpRequest req) {
        var res = Responses.text(HttpResponseStatus.NO_CONTENT, "");
        res.headers().remove(HttpHeaderNames.CONTENT_TYPE);
        if (cors.allowedOrigin(req.headers()) != null) {
            cors.apply(req.headers(), res.headers());
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, Cors.ALLOWED_HEADERS);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
        }
        Responses.send(ctx, req, res);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.warn("closing {} after an unexpected error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
