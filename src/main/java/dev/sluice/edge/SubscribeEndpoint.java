package dev.sluice.edge;

import dev.sluice.admission.Admission;
import dev.sluice.admission.Refusal;
import dev.sluice.admission.RequestLimits;
import dev.sluice.auth.MercureClaims;
import dev.sluice.config.Config;
import dev.sluice.metrics.GatewayMetrics;
import dev.sluice.hub.Hub;
import dev.sluice.topic.SelectorCache;
import dev.sluice.hub.Subscriber;
import dev.sluice.topic.TopicSelector;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import dev.sluice.transport.Transport;
import dev.sluice.subscriptions.SubscriptionRegistry;
import dev.sluice.subscriptions.ActiveSubscription;
import dev.sluice.auth.TopicMatcher;

/**
 * {@code GET /.well-known/mercure}: checks the request, then turns the connection into an SSE
 * stream.
 *
 * <p>Once accepted, the response head is written as raw bytes and the HTTP codec leaves the
 * pipeline: from then on the connection is a byte pipe that carries pre-framed chunks (see
 * {@code SseEncoder}), so a delivery is one buffer duplicate and no per-subscriber encoding.
 */
final class SubscribeEndpoint {

    /** The pipeline name of the handler that holds a connection while its resume point is chosen. */
    private static final String AWAITING = "awaiting-stream";
    /** Longest wait for this node to catch up with a shared log before choosing a resume point. */
    private static final long CATCH_UP_LIMIT_MILLIS = 5_000;

    private final Hub hub;
    private final Transport transport;
    private final Access access;
    private final Cors cors;
    private final Config config;
    private final SelectorCache selectors;
    private final GatewayMetrics stats;
    private final Admission admission;
    private final RequestLimits limits;
    private final AccessLog accessLog;
    /** Active subscriptions (--subscriptions), or null. */
    private final SubscriptionRegistry subscriptions;
    /** What an SSE head over TCP advertises of HTTP/3. */
    private final AltSvc altSvc;

    SubscribeEndpoint(Hub hub, Transport transport, Access access, Cors cors, Config config, GatewayMetrics stats,
                      Admission admission, AccessLog accessLog, SubscriptionRegistry subscriptions,
                      RequestLimits limits, AltSvc altSvc) {
        this.altSvc = altSvc;
        this.accessLog = accessLog;
        this.subscriptions = subscriptions;
        this.admission = admission;
        this.limits = limits;
        this.hub = hub;
        this.transport = transport;
        this.access = access;
        this.cors = cors;
        this.config = config;
        this.selectors = hub.selectors();
        this.stats = stats;
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query) {
        handle(ctx, req, query, query.parameters());
    }

    /**
     * @param parameters the subscription's parameters: the query's, or (for {@code QUERY}) the
     *                   query's followed by the body's
     */
    void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query,
                Map<String, List<String>> parameters) {
        SubscribeRequest.Parsed parsed = SubscribeRequest.parse(parameters, config, selectors);
        ResponseObserver.topics(ctx.pipeline(), parsed.request() == null ? 0 : parsed.request().selectors.size());
        if (parsed.refusal() != null) {
            if (parsed.tooManyTopics()) {
                limits.countTopicsPerSubscription();
            }
            var res = Responses.error(HttpResponseStatus.BAD_REQUEST, parsed.refusal());
            if (parsed.refusal().equals(SubscribeRequest.QUERY_TOKEN)) {
                res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, Challenges.invalidRequest());
            }
            cors.apply(req.headers(), res.headers());
            Responses.send(ctx, req, res);
            return;
        }
        SubscribeRequest request = parsed.request();
        if (hub.subscribers() >= config.maxSubscribers()) {
            stats.refusedSubscribers.increment();
            refuse(ctx, req, admission.hubFull(config.maxSubscribers()));
            return;
        }
        // Mercure 1.0 by its matchers, its last_event_id or its method (QUERY has no 0.x form): the
        // token must then be an access token (typ at+jwt), not a JWT read as a 0.x token.
        boolean oneO = request.dialect == SubscribeRequest.Dialect.V1 || parameters.containsKey("last_event_id")
                || req.method().name().equals("QUERY");
        // Only a Mercure 1.0 refusal points to the metadata: a 0.x request does not build the URL.
        String metadataUrl = oneO ? Challenges.metadataUrl(Challenges.hubUrl(config, req.headers(), Tls.on(ctx))) : null;
        CompletableFuture<Access.Result> checked = access.subscriber(req, query, request.dialect, metadataUrl, oneO);
        Access.whenChecked(ctx, req, checked, who -> authorised(ctx, req, query, request, metadataUrl, who));
    }

    private void authorised(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query,
                            SubscribeRequest request, String metadataUrl, Access.Result who) {
        boolean v1 = request.dialect == SubscribeRequest.Dialect.V1;
        if (!who.ok()) {
            refuse(ctx, req, HttpResponseStatus.valueOf(who.status()), who.refusal(), who.challenge());
            return;
        }
        Refusal tooMany = admission.openStream(ctx.channel(), req.headers());
        if (tooMany != null) {
            refuse(ctx, req, tooMany);
            return;
        }
        MercureClaims claims = who.claims();
        // Sent as UTF-8 by browsers, as ISO-8859-1 by fetch-based clients: see EventIds. The
        // header wins over the parameter (lastEventID in 0.x, last_event_id in 1.0).
        String lastEventId = EventIds.decodeHeader(req.headers().get("Last-Event-ID"));
        if (lastEventId == null) {
            lastEventId = request.lastEventIdParameter;
        }

        List<TopicSelector> wanted = request.selectors;
        List<TopicSelector> allowed;
        try {
            allowed = Matchers.selectors(selectors, claims.subscribeMatchers());
        } catch (dev.sluice.topic.UrlPattern.InvalidPatternException e) {
            refuse(ctx, req, HttpResponseStatus.UNAUTHORIZED, "Invalid subscriber token: " + e.getMessage(),
                    v1 ? Challenges.invalidToken(metadataUrl) : null);
            return;
        }
        // An HTTP/2 or HTTP/3 stream gets the bytes HTTP/1.0 does (no chunk framing): DATA frames
        // frame them.
        boolean chunked = !req.protocolVersion().equals(HttpVersion.HTTP_1_0)
                && !(ctx.channel() instanceof Http2StreamChannel) && !(ctx.channel() instanceof QuicStreamChannel);
        // The stream ends at the instant the token verifier starts refusing this token (its exp plus
        // the allowed clock skew): a client reconnecting with it then gets a 401, never a stream
        // that is closed again at once.
        long expires = claims.expiresAt() == null ? Long.MAX_VALUE
                : claims.expiresAt().plus(config.jwtClockSkew()).toEpochMilli();
        List<String> snapshotParam = query.parameters().get("snapshot");
        boolean snapshot = snapshotParam != null && !snapshotParam.isEmpty()
                && !snapshotParam.get(0).equals("0") && !snapshotParam.get(0).equalsIgnoreCase("false");
        Subscriber s = new Subscriber(ctx.channel(), wanted, allowed, chunked, config.subscriberBudget(), expires,
                snapshot);
        String origin = cors.allowedOrigin(req.headers());
        // Kept by the stream for the access log only: without it, an idle stream holds none of this.
        StreamHandler.Opened opened = accessLog.enabled() ? new StreamHandler.Opened(ctx.channel().id().asShortText(),
                wanted.size(), admission.client(ctx.channel(), req.headers()), accessLog) : null;
        String resumeFrom = lastEventId;
        dev.sluice.topic.Partitions partitions = hub.partitions();
        if (partitions != null) {
            // A partitioned log: this node reads only the partitions its subscribers need. Start
            // reading this one's (and catch up to its resume position) before it is registered, so
            // everything after its position reaches it, from history or live.
            long needed = partitions.needed(wanted);
            s.partitions(needed);
            CompletableFuture<Void> ready = transport.follow(needed,
                    dev.sluice.topic.Partitions.Position.decode(resumeFrom, partitions.count()));
            Runnable release = () -> transport.unfollow(needed);
            if (ready.isDone() && !ready.isCompletedExceptionally()) {
                open(ctx, s, resumeFrom, chunked, origin, v1, opened, request, claims, release);
                return;
            }
            ctx.channel().config().setAutoRead(false);
            ChannelPipeline p = ctx.pipeline();
            p.addLast(AWAITING, new DropInput());
            PipelineInitializer.becomeStream(p);
            p.remove(ctx.handler());
            ready.whenComplete((ok, failed) -> ctx.executor().execute(() -> {
                if (failed != null) {
                    // The partitions could not be read (the log is unreachable): the client
                    // reconnects, with its Last-Event-ID, as after any network error.
                    release.run();
                    ctx.close();
                } else {
                    open(ctx, s, resumeFrom, chunked, origin, v1, opened, request, claims, release);
                }
            }));
            return;
        }
        if (resumeFrom != null && !resumeFrom.equals("earliest") && !hub.knows(resumeFrom)) {
            // Maybe this node has not yet read that far in a shared log: catch up first (bounded),
            // then decide. Reading pauses meanwhile, and the connection stops being HTTP at once:
            // requests pipelined behind this one, already read, must not be parsed and answered
            // while we wait (their answers would go out before this stream's head).
            ctx.channel().config().setAutoRead(false);
            ChannelPipeline p = ctx.pipeline();
            p.addLast(AWAITING, new DropInput());
            PipelineInitializer.becomeStream(p);
            p.remove(ctx.handler());
            transport.caughtUp().orTimeout(CATCH_UP_LIMIT_MILLIS, TimeUnit.MILLISECONDS)
                    .whenComplete((ok, late) -> ctx.executor().execute(() -> open(ctx, s, resumeFrom, chunked, origin, v1,
                            opened, request, claims, null)));
            return;
        }
        open(ctx, s, resumeFrom, chunked, origin, v1, opened, request, claims, null);
    }

    /** @param release run once the stream has ended (the partitions it needed are released), or null */
    private void open(ChannelHandlerContext ctx, Subscriber s, String lastEventId, boolean chunked, String origin,
                      boolean v1, StreamHandler.Opened opened, SubscribeRequest request, MercureClaims claims,
                      Runnable release) {
        List<TopicSelector> wanted = request.selectors;
        if (!ctx.channel().isActive()) {
            if (release != null) {
                release.run();
            }
            return; // gone while we checked; nothing to register
        }
        // The connection (or HTTP/2 stream) now belongs to the stream: no more HTTP parsing or
        // encoding on it.
        ChannelPipeline p = ctx.pipeline();
        Runnable onEnd = null;
        if (subscriptions != null) {
            // Not on the delivery path: a few updates when a stream opens and when it ends.
            List<String> selectorsAsked = new ArrayList<>(wanted.size());
            for (TopicSelector t : wanted) {
                if (!selectorsAsked.contains(t.source())) {
                    selectorsAsked.add(t.source());
                }
            }
            String subscriber = subscriptions.newSubscriber();
            if (v1) {
                List<ActiveSubscription> opened1 = new ArrayList<>(request.matchers.size());
                for (TopicMatcher m : request.matchers) {
                    opened1.add(new ActiveSubscription(m.match(), subscriber, payloadFor(claims, m), true,
                            subscriptions.node(), m.type() == TopicMatcher.Type.URL_PATTERN ? "urlpattern" : "exact"));
                }
                subscriptions.started(opened1);
                onEnd = () -> subscriptions.ended(opened1);
            } else {
                Object payload = claims.payload();
                subscriptions.started(subscriber, selectorsAsked, payload);
                onEnd = () -> subscriptions.ended(subscriber, selectorsAsked, payload);
            }
        }
        if (release != null) {
            Runnable subscriptionsEnd = onEnd;
            onEnd = subscriptionsEnd == null ? release : () -> {
                subscriptionsEnd.run();
                release.run();
            };
        }
        boolean http2 = ctx.channel() instanceof Http2StreamChannel;
        if (p.get(AWAITING) != null) {
            p.replace(AWAITING, "stream", new StreamHandler(hub, s, opened, onEnd));
        } else {
            p.addLast("stream", new StreamHandler(hub, s, opened, onEnd));
            PipelineInitializer.becomeStream(p);
            p.remove(ctx.handler());
        }
        boolean http3 = ctx.channel() instanceof QuicStreamChannel;
        if (http2) {
            p.addFirst(Http2SseFramer.NAME, new Http2SseFramer());
        } else if (http3) {
            // After Netty's HTTP/3 codec (which the stream's pipeline starts with), so it sees the
            // event buffers before they are frames.
            Http3SseFramer framer = new Http3SseFramer();
            p.addLast(Http3SseFramer.NAME, framer);
            s.countQueuedBytesWith(framer);
        }

        ctx.channel().config().setAutoRead(true);
        Hub.Resume resume = hub.register(s, lastEventId);
        String alternative = http3 ? null : altSvc.value();
        Object head = http2 ? http2Head(resume, origin, v1, alternative)
                : http3 ? http3Head(resume, origin, v1) : head(chunked, resume, origin, v1, alternative);
        ctx.channel().write(head, ctx.channel().voidPromise());
        hub.start(s);
        stats.subscriptions.increment();
        stats.response(dev.sluice.metrics.HttpRoute.SUBSCRIBE, 200);
        if (opened != null) {
            accessLog.streamOpened(opened.connection(), opened.topics(), resume.requested(), opened.client());
        }
    }

    /**
     * Holds a connection whose stream is about to open: what the client sends meanwhile is
     * dropped, as a stream drops it, and a failing connection is closed without a word.
     */
    private static final class DropInput extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * The payload of a Mercure 1.0 subscription: that of the first {@code subscribe} authorization
     * detail one of whose matchers matches the subscription's own matcher read as a topic (a
     * {@code *} detail serves as a default); a 0.x token's {@code mercure.payload}.
     */
    private Object payloadFor(MercureClaims claims, TopicMatcher subscription) {
        if (!claims.accessToken()) {
            return claims.payload();
        }
        for (dev.sluice.auth.AuthorizationDetails.Grant grant : claims.grants()) {
            if (!grant.actions().contains("subscribe")) {
                continue;
            }
            for (TopicMatcher m : grant.topics()) {
                if (selectors.matches(Matchers.selector(selectors, m), subscription.match())) {
                    return grant.payload();
                }
            }
        }
        return null;
    }

    /** Where RFC 9728 puts the protected-resource metadata of the hub at its well-known path. */
    static final String METADATA_PATH = "/.well-known/oauth-protected-resource" + RequestRouter.HUB_PATH;

    /**
     * The protected-resource metadata (RFC 9728) of the hub, as Mercure 1.0 describes it: its
     * resource identifier (the audience its access tokens must name: the first --token-audience,
     * else the hub's URL), the Mercure authorization detail type, the header as the bearer method,
     * the access token cookie, the matcher types and, with --subscriptions, that active subscriptions are served.
     */
    void metadata(ChannelHandlerContext ctx, FullHttpRequest req) {
        String resource = config.tokenAudiences().isEmpty()
                ? Challenges.hubUrl(config, req.headers(), Tls.on(ctx)) : config.tokenAudiences().get(0);
        Map<String, Object> doc = new java.util.LinkedHashMap<>();
        doc.put("resource", resource);
        doc.put("resource_name", "Sluice");
        doc.put("authorization_details_types_supported", List.of(dev.sluice.auth.AuthorizationDetails.MERCURE_TYPE));
        doc.put("bearer_methods_supported", List.of("header"));
        doc.put("mercure_cookie", config.accessTokenCookie());
        doc.put("mercure_matcher_types_supported", List.of("exact", "urlpattern"));
        if (config.subscriptions()) {
            doc.put("mercure_subscriptions", true);
        }
        String json;
        try {
            json = JSON.writeValueAsString(doc);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("metadata of plain strings always serialises", e);
        }
        var res = Responses.text(HttpResponseStatus.OK, json);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        cors.apply(req.headers(), res.headers());
        Responses.send(ctx, req, res);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * The head of most streams (no resume position to echo, no CORS origin), made once: a new
     * stream writes a duplicate of it instead of building its own.
     */
    private static final ByteBuf CHUNKED_HEAD = sharedHead(true);
    private static final ByteBuf RAW_HEAD = sharedHead(false);

    private static ByteBuf sharedHead(boolean chunked) {
        ByteBuf built = buildHead(chunked, new Hub.Resume(false, null), null, false, null);
        try {
            // Direct, so the socket write takes it as is; nothing ever writes into it.
            return io.netty.buffer.Unpooled.unreleasableBuffer(
                    io.netty.buffer.Unpooled.directBuffer(built.readableBytes()).writeBytes(built));
        } finally {
            built.release();
        }
    }

    private static ByteBuf head(boolean chunked, Hub.Resume resume, String origin, boolean v1, String altSvc) {
        if (!resume.requested() && origin == null && altSvc == null) {
            return (chunked ? CHUNKED_HEAD : RAW_HEAD).duplicate();
        }
        return buildHead(chunked, resume, origin, v1, altSvc);
    }

    private static ByteBuf buildHead(boolean chunked, Hub.Resume resume, String origin, boolean v1, String altSvc) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(chunked ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.0 200 OK\r\n")
                .append("content-type: text/event-stream\r\n")
                .append("cache-control: private, no-cache, no-store, must-revalidate, max-age=0\r\n")
                .append("x-accel-buffering: no\r\n")
                .append("x-content-type-options: nosniff\r\n");
        if (chunked) {
            sb.append("transfer-encoding: chunked\r\n");
        } else {
            sb.append("connection: close\r\n");
        }
        if (resume.requested()) {
            // 0.x answers with Last-Event-ID; 1.0 with its own field, since Last-Event-ID is
            // registered as a request field only.
            sb.append(v1 ? "mercure-last-event-id: " : "last-event-id: ")
                    .append(resume.responseLastEventId()).append("\r\n");
        }
        if (origin != null) {
            sb.append("access-control-allow-origin: ").append(origin).append("\r\n");
            if (Cors.withCredentials(origin)) {
                sb.append("access-control-allow-credentials: true\r\n");
            }
            sb.append("vary: Origin\r\n");
        }
        if (altSvc != null) {
            sb.append("alt-svc: ").append(altSvc).append("\r\n");
        }
        sb.append("\r\n");
        return io.netty.buffer.Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8);
    }

    /** The same head as {@link #head} as an HTTP/2 HEADERS frame; header values are sent as UTF-8. */
    private static Http2HeadersFrame http2Head(Hub.Resume resume, String origin, boolean v1, String altSvc) {
        Http2Headers h = new DefaultHttp2Headers();
        streamHead(h, resume, origin, v1);
        if (altSvc != null) {
            h.set("alt-svc", altSvc);
        }
        return new DefaultHttp2HeadersFrame(h, false);
    }

    /** The same head as an HTTP/3 HEADERS frame. */
    private static Http3HeadersFrame http3Head(Hub.Resume resume, String origin, boolean v1) {
        Http3Headers h = new DefaultHttp3Headers();
        streamHead(h, resume, origin, v1);
        return new DefaultHttp3HeadersFrame(h);
    }

    /** The fields of an SSE head on HTTP/2 and HTTP/3 (both carry the status as a pseudo-header). */
    private static void streamHead(io.netty.handler.codec.Headers<CharSequence, CharSequence, ?> h,
                                   Hub.Resume resume, String origin, boolean v1) {
        h.set(":status", HttpResponseStatus.OK.codeAsText());
        h.set("content-type", "text/event-stream");
        h.set("cache-control", "private, no-cache, no-store, must-revalidate, max-age=0");
        h.set("x-accel-buffering", "no");
        h.set("x-content-type-options", "nosniff");
        if (resume.requested()) {
            h.set(v1 ? "mercure-last-event-id" : "last-event-id",
                    new AsciiString(resume.responseLastEventId().getBytes(StandardCharsets.UTF_8), false));
        }
        if (origin != null) {
            h.set("access-control-allow-origin", new AsciiString(origin.getBytes(StandardCharsets.UTF_8), false));
            h.set("vary", "Origin");
            if (Cors.withCredentials(origin)) {
                h.set("access-control-allow-credentials", "true");
            }
        }
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, Refusal refusal) {
        var res = Refusals.response(refusal);
        cors.apply(req.headers(), res.headers());
        Responses.send(ctx, req, res);
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String message,
                        String challenge) {
        var res = Responses.error(status, message);
        cors.apply(req.headers(), res.headers());
        if (challenge != null) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, challenge);
        } else if (status.code() == 401) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"mercure\"");
        }
        Responses.send(ctx, req, res);
    }
}
