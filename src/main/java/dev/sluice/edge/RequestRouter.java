package dev.sluice.edge;

import java.util.Map;
import java.util.Locale;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.CharacterCodingException;
import dev.sluice.admission.Admission;
import dev.sluice.admission.Refusal;
import dev.sluice.admission.RequestLimits;
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
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
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
    private final BadRequestLog badRequests;
    private final RequestLimits limits;
    private final Admission admission;
    /** False with --no-metrics-on-main: /metrics is on the admin listener only. */
    private final boolean metricsHere;
    private final java.util.function.BooleanSupplier draining;
    private final Extras extras;
    private final java.util.Map<String, FeedStream> feeds = new java.util.HashMap<>();
    /** The subscriptions API, or null without --subscriptions. */
    private final SubscriptionsEndpoint subscriptions;

    RequestRouter(SubscribeEndpoint subscribe, PublishEndpoint publish, Transport transport, GatewayMetrics metrics,
                  Cors cors, int maxQueryParams, BadRequestLog badRequests, RequestLimits limits,
                  Admission admission, boolean metricsHere, java.util.function.BooleanSupplier draining,
                  SubscriptionsEndpoint subscriptions, Extras extras) {
        this.metricsHere = metricsHere;
        this.subscriptions = subscriptions;
        this.admission = admission;
        this.draining = draining;
        this.extras = extras;
        extras.feeds().forEach((path, feed) -> feeds.put(path, new FeedStream(feed)));
        this.badRequests = badRequests;
        this.limits = limits;
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
            // The codec stops parsing this connection after a failure: answer, then close.
            Throwable cause = decoded.cause();
            if (cause instanceof TooLongHttpLineException) {
                malformed(ctx, null, limits.urlTooLong());
            } else if (cause instanceof TooLongHttpHeaderException) {
                malformed(ctx, null, limits.headersTooLarge());
            } else {
                malformed(ctx, null, HttpResponseStatus.BAD_REQUEST, decoderFailureMessage(cause));
            }
            return;
        }
        if (req.protocolVersion().majorVersion() != 1) {
            malformed(ctx, null, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version "
                    + req.protocolVersion().text() + " is not supported in an HTTP/1 request line: send HTTP/1.1 or HTTP/1.0,"
                    + " or speak HTTP/2 (ALPN h2 over TLS; prior knowledge or Upgrade: h2c in cleartext).");
            return;
        }
        int hosts = req.headers().getAll(HttpHeaderNames.HOST).size();
        if (hosts > 1) {
            // RFC 9112 section 3.2: one Host, never several (proxies may each believe another).
            malformed(ctx, null, HttpResponseStatus.BAD_REQUEST, "The request has " + hosts
                    + " Host headers; send exactly one.");
            return;
        }
        String target = originForm(req.uri());
        String badUrl = PercentEncoding.urlProblem(target);
        if (badUrl != null) {
            malformed(ctx, req, HttpResponseStatus.BAD_REQUEST, "Malformed URL: " + badUrl);
            return;
        }
        QueryStringDecoder query;
        try {
            // One more than allowed is decoded, so that too many parameters are refused, not cut
            // off: the decoder stops silently at its limit, and would drop a token or a topic.
            query = QueryStringDecoder.builder().maxParams(maxQueryParams + 1).semicolonIsNormalChar(true)
                    .build(target);
            query.path();
            query.parameters(); // decode now, so a bad escape is a 400 here
        } catch (IllegalArgumentException e) {
            malformed(ctx, req, HttpResponseStatus.BAD_REQUEST, "Malformed URL: " + e.getMessage());
            return;
        }
        if (count(query.parameters()) > maxQueryParams) {
            malformed(ctx, req, HttpResponseStatus.BAD_REQUEST, "The URL has more than " + maxQueryParams
                    + " query parameters; at most " + maxQueryParams
                    + " are read (--max-topics-per-subscription plus 16).");
            return;
        }
        String path = query.path();
        HttpMethod method = req.method();
        switch (path) {
            case HUB_PATH -> {
                if (method.equals(HttpMethod.GET)) {
                    if (admitted(ctx, req, admission.subscribe(ctx.channel(), req.headers()))) {
                        subscribe.handle(ctx, req, query);
                    }
                } else if (method.equals(HttpMethod.POST)) {
                    if (admitted(ctx, req, admission.publish(ctx.channel(), req.headers()))
                            && admitted(ctx, req, admission.publishRate(ctx.channel(), req.headers(),
                                    first(query, "authorization")))) {
                        publish.handle(ctx, req, query);
                    }
                } else if (method.equals(HttpMethod.OPTIONS)) {
                    preflight(ctx, req);
                } else if (method.name().equals("QUERY")) {
                    // Mercure 1.0's safe method with the matchers in a form body, for lists too
                    // long for a URL; the parameters are the query's and the body's together.
                    if (admitted(ctx, req, admission.subscribe(ctx.channel(), req.headers()))) {
                        Map<String, List<String>> parameters = queryParameters(ctx, req, query);
                        if (parameters != null) {
                            subscribe.handle(ctx, req, query, parameters);
                        }
                    }
                } else {
                    notAllowed(ctx, req, "GET, POST, OPTIONS, QUERY");
                }
            }
            case SubscribeEndpoint.METADATA_PATH -> {
                if (get(ctx, req)) {
                    subscribe.metadata(ctx, req);
                }
            }
            case "/healthz" -> {
                if (get(ctx, req)) {
                    Responses.send(ctx, req, Responses.text(HttpResponseStatus.OK, "ok\n"));
                }
            }
            case "/readyz" -> {
                if (get(ctx, req) && draining.getAsBoolean()) {
                    Responses.send(ctx, req, Responses.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "not ready: draining (the gateway is stopping)\n"));
                } else if (req.method().equals(HttpMethod.GET)) {
                    boolean ready = transport.isReady();
                    Responses.send(ctx, req, Responses.text(
                            ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            ready ? "ready (" + transport.describe() + ")\n"
                                    : "not ready: transport " + transport.describe() + " cannot take publishes\n"));
                }
            }
            case "/metrics" -> {
                if (!metricsHere) {
                    Responses.send(ctx, req, Responses.error(HttpResponseStatus.NOT_FOUND,
                            "Metrics are served on the admin listener only (--no-metrics-on-main)."));
                } else if (get(ctx, req)) {
                    var res = Responses.text(HttpResponseStatus.OK, metrics.scrape());
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    Responses.send(ctx, req, res);
                }
            }
            default -> {
                if (subscriptions != null && SubscriptionsEndpoint.handles(path)) {
                    if (method.equals(HttpMethod.OPTIONS)) {
                        preflight(ctx, req);
                    } else if (get(ctx, req)) {
                        subscriptions.handle(ctx, req, query);
                    }
                    return;
                }
                extra(ctx, req, path);
            }
        }
    }

    /** A page or feed of {@link Extras}, or a 404 that says what exists. */
    private void extra(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        Extras.Page page = extras.pages().get(path);
        FeedStream feed = feeds.get(path);
        if (page != null) {
            boolean head = req.method().equals(HttpMethod.HEAD);
            if (!head && !get(ctx, req)) {
                return;
            }
            var res = new io.netty.handler.codec.http.DefaultFullHttpResponse(
                    io.netty.handler.codec.http.HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    head ? io.netty.buffer.Unpooled.EMPTY_BUFFER : io.netty.buffer.Unpooled.wrappedBuffer(page.body()));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, page.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, page.body().length)
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                    .set("X-Content-Type-Options", "nosniff");
            Responses.send(ctx, req, res);
        } else if (feed != null) {
            if (get(ctx, req)) {
                feed.start(ctx, req);
            }
        } else {
            Responses.send(ctx, req, Responses.error(HttpResponseStatus.NOT_FOUND,
                    "Nothing at " + abbreviate(path) + ". The hub is at " + HUB_PATH
                            + "; also /healthz, /readyz, /metrics"
                            + (extras.isEmpty() ? "." : ", " + String.join(", ", new java.util.TreeSet<>(
                                    extras.pages().keySet().stream().filter(p -> !p.startsWith("/demo/")).toList()))
                                    + ".")));
        }
    }

    /** The query's parameters followed by those of a form body, or null after answering a 4xx. */
    private Map<String, List<String>> queryParameters(ChannelHandlerContext ctx, FullHttpRequest req,
                                                      QueryStringDecoder query) {
        String contentType = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        Map<String, List<String>> all = new LinkedHashMap<>();
        query.parameters().forEach((k, v) -> all.put(k, new ArrayList<>(v)));
        if (!req.content().isReadable()) {
            return all;
        }
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).trim()
                .startsWith("application/x-www-form-urlencoded")) {
            Responses.send(ctx, req, Responses.error(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    "A QUERY subscription's body must be application/x-www-form-urlencoded (got "
                            + (contentType == null ? "none" : "'" + abbreviate(contentType, 80) + "'") + ")."));
            return null;
        }
        String body;
        try {
            body = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(req.content().nioBuffer()).toString();
        } catch (CharacterCodingException e) {
            malformed(ctx, req, HttpResponseStatus.BAD_REQUEST, "The body is not valid UTF-8.");
            return null;
        }
        String badEscape = PercentEncoding.problem(body);
        if (badEscape != null) {
            malformed(ctx, req, HttpResponseStatus.BAD_REQUEST,
                    "The body is not valid application/x-www-form-urlencoded: " + badEscape);
            return null;
        }
        Map<String, List<String>> form;
        try {
            // One more than allowed, so that too many are refused rather than silently cut off.
            form = QueryStringDecoder.builder().hasPath(false).maxParams(maxQueryParams + 1)
                    .semicolonIsNormalChar(true).build(body).parameters();
        } catch (IllegalArgumentException e) {
            malformed(ctx, req, HttpResponseStatus.BAD_REQUEST,
                    "The body is not valid application/x-www-form-urlencoded: " + e.getMessage());
            return null;
        }
        if (count(form) + count(all) > maxQueryParams) {
            malformed(ctx, req, HttpResponseStatus.BAD_REQUEST, "The query and the body hold more than "
                    + maxQueryParams + " parameters together; at most " + maxQueryParams
                    + " are read (--max-topics-per-subscription plus 16).");
            return null;
        }
        form.forEach((k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        return all;
    }

    /**
     * The path and query of a request target. A server must accept the absolute form
     * ({@code http://host/path?query}, RFC 9112 section 3.2.2), which proxies send; its scheme
     * and authority say nothing this gateway routes on.
     */
    static String originForm(String target) {
        int scheme = target.regionMatches(true, 0, "http://", 0, 7) ? 7
                : target.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
        if (scheme < 0) {
            return target;
        }
        for (int i = scheme; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '/') {
                return target.substring(i);
            }
            if (c == '?') {
                return "/" + target.substring(i);
            }
        }
        return "/";
    }

    /** Parameters decoded, counting each repeated one (a form or a query string). */
    static int count(java.util.Map<String, java.util.List<String>> parameters) {
        int n = 0;
        for (var values : parameters.values()) {
            n += values.size();
        }
        return n;
    }

    private static String first(QueryStringDecoder query, String name) {
        var values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** True when admission let the request through; else answers with the refusal. */
    private boolean admitted(ChannelHandlerContext ctx, FullHttpRequest req, Refusal refusal) {
        if (refusal == null) {
            return true;
        }
        var res = Refusals.response(refusal);
        cors.apply(req.headers(), res.headers());
        Responses.send(ctx, req, res);
        return false;
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
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS, QUERY");
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, Cors.ALLOWED_HEADERS);
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
        }
        Responses.send(ctx, req, res);
    }

    /** Answers a request that could not be understood, and logs it as one rate-limited line. */
    private void malformed(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String message) {
        String text = abbreviate(message, 400);
        badRequests.warn(ctx, status.code(), text);
        Responses.send(ctx, req, Responses.error(status, text));
    }

    /** Answers a request refused for a size limit, and logs it as one rate-limited line. */
    private void malformed(ChannelHandlerContext ctx, FullHttpRequest req, Refusal refusal) {
        badRequests.warn(ctx, refusal.status(), refusal.message());
        Responses.send(ctx, req, Refusals.response(refusal));
    }

    private static String decoderFailureMessage(Throwable cause) {
        String why = cause.getMessage();
        return "Malformed HTTP request: " + (why == null || why.isBlank() ? cause.getClass().getSimpleName() : why);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof PrematureChannelClosureException || cause instanceof IOException
                || cause instanceof io.netty.handler.codec.quic.QuicException) {
            log.debug("{} went away: {}", ctx.channel().remoteAddress(), cause.toString());
        } else if (cause instanceof DecoderException || cause instanceof IllegalArgumentException
                || cause instanceof io.netty.handler.codec.http3.Http3Exception) {
            // Input the codec or a decoder could not take: the client's mistake, one line.
            badRequests.warn(ctx, 400, "closed: " + cause.getMessage());
        } else {
            log.warn("closing {} after an unexpected error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private static String abbreviate(String s) {
        return abbreviate(s, 80);
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
