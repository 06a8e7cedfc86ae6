package dev.sluice.edge;

import dev.sluice.auth.MercureClaims;
import dev.sluice.hub.Hub;
import dev.sluice.subscriptions.ActiveSubscription;
import dev.sluice.subscriptions.MercureV0Json;
import dev.sluice.subscriptions.MercureV1Json;
import dev.sluice.subscriptions.SubscriptionPaths;
import dev.sluice.subscriptions.SubscriptionRegistry;
import dev.sluice.topic.SelectorCache;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * {@code GET /.well-known/mercure/subscriptions[/{topic}[/{subscriber}]]} (with
 * {@code --subscriptions}): the active subscriptions of the whole cluster, in the Mercure 0.x
 * JSON-LD shape, with the {@code lastEventID} from which subscription events continue the list.
 *
 * <p>Access needs a subscriber token whose {@code mercure.subscribe} has a selector matching the
 * requested path (as sent, percent-encoded), e.g. {@code /.well-known/mercure/subscriptions{/topic}{/subscriber}}
 * or {@code *}: without a token 401, with one that does not match 403.
 *
 * <p>The position is read before the list, so the list may already hold changes after it (a
 * client applying events from that position sees them again, which changes nothing) but never
 * misses one.
 */
final class SubscriptionsEndpoint {

    private final SubscriptionRegistry registry;
    private final Hub hub;
    private final Access access;
    private final Cors cors;
    private final SelectorCache selectors;
    private final String hubUrl;

    SubscriptionsEndpoint(SubscriptionRegistry registry, Hub hub, Access access, Cors cors) {
        this.hubUrl = hub.selectors().baseUrl() != null ? hub.selectors().baseUrl()
                : dev.sluice.config.Config.DEFAULT_HUB_URL;
        this.registry = registry;
        this.hub = hub;
        this.access = access;
        this.cors = cors;
        this.selectors = hub.selectors();
    }

    /** True for the paths this endpoint answers (decoded path, as the router sees it). */
    static boolean handles(String path) {
        return path.equals(SubscriptionPaths.COLLECTION) || path.startsWith(SubscriptionPaths.PREFIX);
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder query) {
        java.util.concurrent.CompletableFuture<Access.Result> checked =
                access.subscriber(req, query, SubscribeRequest.Dialect.V0, null);
        Access.whenChecked(ctx, req, checked, who -> authorised(ctx, req, who));
    }

    private void authorised(ChannelHandlerContext ctx, FullHttpRequest req, Access.Result who) {
        String raw = rawPath(req.uri());
        if (!who.ok()) {
            refuse(ctx, req, HttpResponseStatus.valueOf(who.status()), who.refusal(), who.challenge());
            return;
        }
        MercureClaims claims = who.claims();
        if (claims == MercureClaims.NONE) {
            refuse(ctx, req, HttpResponseStatus.UNAUTHORIZED, "The subscriptions API needs a subscriber token whose"
                    + " mercure.subscribe matches " + raw + ": send 'Authorization: Bearer <JWT>', the 'authorization'"
                    + " query parameter or the 'mercureAuthorization' cookie.");
            return;
        }
        boolean allowed = false;
        List<dev.sluice.topic.TopicSelector> granted;
        try {
            granted = Matchers.selectors(selectors, claims.subscribeMatchers());
        } catch (dev.sluice.topic.UrlPattern.InvalidPatternException e) {
            refuse(ctx, req, HttpResponseStatus.UNAUTHORIZED, "Invalid subscriber token: " + e.getMessage(),
                    Challenges.invalidToken(null));
            return;
        }
        for (dev.sluice.topic.TopicSelector selector : granted) {
            if (selectors.matches(selector, raw)) {
                allowed = true;
                break;
            }
        }
        if (!allowed) {
            // Mercure 1.0: a valid access token that does not allow this is an RFC 6750 insufficient_scope.
            refuse(ctx, req, HttpResponseStatus.FORBIDDEN, "The token's mercure.subscribe has no selector matching "
                    + raw + " (e.g. " + SubscriptionPaths.COLLECTION + "{/topic}{/subscriber}).",
                    claims.accessToken() ? Challenges.insufficientScope() : null);
            return;
        }
        boolean collection = raw.equals(SubscriptionPaths.COLLECTION);
        String rest = collection || !raw.startsWith(SubscriptionPaths.PREFIX) ? null
                : raw.substring(SubscriptionPaths.PREFIX.length());
        String[] segments = rest == null ? new String[0] : rest.split("/", -1);
        // Mercure 1.0's paths start with a matcher type; the collection answers in the dialect
        // of the token (a 1.0 access token gets the 1.0 shape and the 1.0 subscriptions).
        boolean v1 = segments.length >= 1 ? SubscriptionPaths.isMatchType(segments[0])
                && segments.length >= 2 : claims.accessToken();
        if (v1) {
            answerV1(ctx, req, raw, segments);
            return;
        }
        if ((!collection && rest == null) || segments.length > 2 || List.of(segments).contains("")) {
            refuse(ctx, req, HttpResponseStatus.NOT_FOUND, "Nothing at " + abbreviate(raw) + ": the subscriptions API"
                    + " has " + SubscriptionPaths.COLLECTION + ", /{topic} and /{topic}/{subscriber}, each"
                    + " percent-encoded.");
            return;
        }
        String[] decoded = decoded(ctx, req, segments, 0);
        if (decoded == null) {
            return;
        }
        String topic = segments.length >= 1 ? decoded[0] : null;
        String subscriber = segments.length == 2 ? decoded[1] : null;
        String lastEventId = hub.lastEventId(); // before the list: see the class comment
        String body;
        if (segments.length == 0) {
            body = MercureV0Json.collection(SubscriptionPaths.COLLECTION, lastEventId, registry.all());
        } else if (segments.length == 1) {
            body = MercureV0Json.collection(SubscriptionPaths.of(topic), lastEventId, registry.byTopic(topic));
        } else {
            ActiveSubscription s = registry.one(topic, subscriber);
            if (s == null) {
                refuse(ctx, req, HttpResponseStatus.NOT_FOUND, "No active subscription of " + abbreviate(subscriber)
                        + " to " + abbreviate(topic) + ".");
                return;
            }
            body = MercureV0Json.one(s, lastEventId);
        }
        var res = Responses.text(HttpResponseStatus.OK, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/ld+json");
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "must-revalidate");
        res.headers().set(HttpHeaderNames.ETAG, "\"" + lastEventId.replace("\"", "") + "\"");
        cors.apply(req.headers(), res.headers());
        Responses.send(ctx, req, res);
    }

    /**
     * Mercure 1.0: {@code /subscriptions}, {@code /subscriptions/{match_type}/{match}} and
     * {@code /subscriptions/{match_type}/{match}/{subscriber}}, as {@code application/json},
     * with the cursor on a {@code rel="mercure"} Link header (exposed to cross-origin readers).
     */
    private void answerV1(ChannelHandlerContext ctx, FullHttpRequest req, String raw, String[] segments) {
        if (segments.length > 3 || List.of(segments).contains("")) {
            refuse(ctx, req, HttpResponseStatus.NOT_FOUND, "Nothing at " + abbreviate(raw) + ": the Mercure 1.0"
                    + " subscriptions API has " + SubscriptionPaths.COLLECTION + ", /{match_type}/{match} and"
                    + " /{match_type}/{match}/{subscriber}, each percent-encoded.");
            return;
        }
        String[] decoded = decoded(ctx, req, segments, 1);
        if (decoded == null) {
            return;
        }
        String match = segments.length >= 2 ? decoded[1] : null;
        String subscriber = segments.length == 3 ? decoded[2] : null;
        String lastEventId = hub.lastEventId(); // before the list: see the class comment
        String body;
        if (segments.length == 0) {
            body = MercureV1Json.collection(SubscriptionPaths.COLLECTION,
                    registry.all().stream().filter(ActiveSubscription::v1).toList());
        } else if (segments.length == 2) {
            body = MercureV1Json.collection(SubscriptionPaths.ofMatcher(segments[0], match),
                    registry.byMatcher(segments[0], match));
        } else {
            ActiveSubscription s = registry.one(segments[0], match, subscriber);
            if (s == null) {
                refuse(ctx, req, HttpResponseStatus.NOT_FOUND, "No active subscription of " + abbreviate(subscriber)
                        + " with the " + segments[0] + " matcher " + abbreviate(match) + ".");
                return;
            }
            body = MercureV1Json.one(s);
        }
        var res = Responses.text(HttpResponseStatus.OK, body);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "must-revalidate");
        res.headers().set(HttpHeaderNames.ETAG, "\"" + lastEventId.replace("\"", "") + "\"");
        res.headers().set("link", "<" + hubUrl + ">; rel=\"mercure\"; last-event-id=\""
                + lastEventId.replace("\"", "%22") + "\"; type=\"mercure\"; content-type=\"application/json\"");
        cors.apply(req.headers(), res.headers());
        if (res.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)) {
            res.headers().set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, "Link");
        }
        Responses.send(ctx, req, res);
    }

    /** The segments from {@code from} on, percent-decoded; null after a 400 when one is malformed. */
    private String[] decoded(ChannelHandlerContext ctx, FullHttpRequest req, String[] segments, int from) {
        String[] out = new String[segments.length];
        for (int i = from; i < segments.length; i++) {
            out[i] = SubscriptionPaths.decode(segments[i]);
            if (out[i] == null) {
                refuse(ctx, req, HttpResponseStatus.BAD_REQUEST, "Malformed URL: a path segment has a bad"
                        + " percent-escape or is not UTF-8.");
                return null;
            }
        }
        return out;
    }

    /** The path as sent, without the query: the API matches and decodes its segments itself. */
    static String rawPath(String uri) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        int hash = path.indexOf('#');
        return hash < 0 ? path : path.substring(0, hash);
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String message) {
        refuse(ctx, req, status, message, null);
    }

    /** @param challenge the {@code WWW-Authenticate} value, or null for the plain one on a 401 */
    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String message,
                        String challenge) {
        var res = Responses.error(status, message);
        cors.apply(req.headers(), res.headers());
        String bearer = challenge != null ? challenge : status.code() == 401 ? "Bearer realm=\"mercure\"" : null;
        if (bearer != null) {
            String metadataUrl = Challenges.metadataUrl(Challenges.hubUrl(access.configuredHubUrl(), req.headers(),
                    Tls.on(ctx)));
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, Challenges.withMetadata(bearer, metadataUrl));
        }
        Responses.send(ctx, req, res);
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
