package dev.sluice.edge;

import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.channel.ChannelHandlerContext;
import dev.sluice.auth.AuthException;
import dev.sluice.auth.MercureClaims;
import dev.sluice.auth.TokenExtractor;
import dev.sluice.auth.TokenVerifier;
import dev.sluice.auth.TrustedIssuers;
import dev.sluice.auth.VerifiedTokens;
import dev.sluice.config.Config;
import java.time.Clock;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Who is asking: finds the token (Authorization header, then {@code authorization} query
 * parameter, then {@code mercureAuthorization} cookie) and verifies it with the publisher or the
 * subscriber key.
 */
final class Access {

    /**
     * The outcome: claims, or the status and message to refuse with.
     *
     * @param challenge the {@code WWW-Authenticate} value to send with a refusal, or null for the
     *                  default ({@code Bearer realm="mercure"} on a 401)
     */
    record Result(MercureClaims claims, int status, String refusal, boolean fromCookie, String challenge) {
        Result(MercureClaims claims, int status, String refusal) {
            this(claims, status, refusal, false, null);
        }

        Result(MercureClaims claims, int status, String refusal, boolean fromCookie) {
            this(claims, status, refusal, fromCookie, null);
        }

        boolean ok() {
            return refusal == null;
        }
    }

    private final VerifiedTokens publishers;
    private final VerifiedTokens subscribers;
    private final boolean anonymous;
    private final PublishOrigins publishOrigins;
    private final String accessTokenCookie;
    private final List<String> tokenAudiences;
    private final String hubUrl;

    Access(TokenVerifier publishers, TokenVerifier subscribers, TrustedIssuers issuers, Config config) {
        this.publishers = new VerifiedTokens(publishers, issuers, config.jwtClockSkew(), Clock.systemUTC(),
                config.publisherTokenCache(), config.tokenCacheTtl());
        this.subscribers = new VerifiedTokens(subscribers, issuers, config.jwtClockSkew(), Clock.systemUTC(),
                config.subscriberTokenCache(), config.tokenCacheTtl());
        this.anonymous = config.anonymous();
        this.publishOrigins = new PublishOrigins(config.publishOrigins());
        this.accessTokenCookie = config.accessTokenCookie();
        this.tokenAudiences = config.tokenAudiences();
        this.hubUrl = config.hubUrl();
    }

    /** {@code --hub-url}, or null when the hub's URL is taken from each request's Host. */
    String configuredHubUrl() {
        return hubUrl;
    }

    /**
     * Who publishes. The future is already complete unless the token must be checked against a key
     * set, which happens off the event loop (see {@link VerifiedTokens#verifyAsync}); it never
     * fails: every outcome is a {@link Result}.
     */
    CompletableFuture<Result> publisher(HttpRequest req, QueryStringDecoder query) {
        // Read now: the rest may run on another thread, after the request has been handed on.
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        String referer = req.headers().get(HttpHeaderNames.REFERER);
        return verify(req, query, publishers, "publisher", "A publisher token is required: send"
                + " 'Authorization: Bearer <JWT>' with a mercure.publish claim (Mercure 0.x) or publish"
                + " authorization_details (Mercure 1.0 access token) signed with the publisher key.", false, false)
                .thenApply(who -> {
                    if (who.ok() && who.claims().publishMatchers().isEmpty()) {
                        return who.claims().accessToken()
                                ? new Result(null, 403, "The access token grants no publish action, so it may not"
                                        + " publish.", false, Challenges.insufficientScope())
                                : new Result(null, 403, "The token has no mercure.publish selectors, so it may not"
                                        + " publish.");
                    }
                    if (who.ok() && who.fromCookie()) {
                        String refusal = publishOrigins.refusal(origin, referer);
                        if (refusal != null) {
                            return new Result(null, 403, refusal);
                        }
                    }
                    return who;
                });
    }

    /** As {@link #subscriber(HttpRequest, QueryStringDecoder, SubscribeRequest.Dialect, String, boolean)}, 1.0 for V1. */
    CompletableFuture<Result> subscriber(HttpRequest req, QueryStringDecoder query, SubscribeRequest.Dialect dialect,
                                         String metadataUrl) {
        return subscriber(req, query, dialect, metadataUrl, dialect == SubscribeRequest.Dialect.V1);
    }

    /**
     * A subscriber of either dialect; a 1.0 request gets RFC 6750 challenges and no query token.
     * Completes as {@link #publisher} does.
     *
     * @param oneO the request uses Mercure 1.0 (its matchers, {@code last_event_id} or the QUERY
     *             method), so its token must be an access token ({@code typ: at+jwt})
     */
    CompletableFuture<Result> subscriber(HttpRequest req, QueryStringDecoder query, SubscribeRequest.Dialect dialect,
                                         String metadataUrl, boolean oneO) {
        boolean v1 = dialect == SubscribeRequest.Dialect.V1;
        String missing = anonymous ? null : v1
                ? "An access token is required (anonymous subscribers are not allowed on this hub): send"
                        + " 'Authorization: Bearer <token>' or the " + accessTokenCookie + " cookie."
                : "A subscriber token is required"
                        + " (anonymous subscribers are not allowed on this hub): send 'Authorization: Bearer <JWT>', the"
                        + " 'authorization' query parameter or the 'mercureAuthorization' cookie.";
        return verify(req, query, subscribers, "subscriber", missing, v1, oneO).thenApply(who -> {
            if (!(v1 || oneO) || who.ok() || metadataUrl == null) {
                return who;
            }
            String challenge = who.status() == 401 && who.refusal().equals(missing)
                    ? Challenges.missing(metadataUrl)
                    : Challenges.withMetadata(who.challenge() != null ? who.challenge()
                            : Challenges.invalidToken(null), metadataUrl);
            return new Result(null, who.status(), who.refusal(), false, challenge);
        });
    }

    /**
     * @param whenMissing       the refusal when no token was sent, or null to admit the client anonymously
     * @param needsAccessToken  a Mercure 1.0 request: a JWT without {@code typ: at+jwt} is refused
     *                          instead of read as a 0.x token (as it is whenever it comes from the
     *                          access token cookie, which holds 1.0 tokens only)
     */
    private CompletableFuture<Result> verify(HttpRequest req, QueryStringDecoder query, VerifiedTokens tokens,
                                             String role, String whenMissing, boolean accessTokenPlacesOnly,
                                             boolean needsAccessToken) {
        Presented presented;
        try {
            presented = token(req, query, accessTokenPlacesOnly);
        } catch (AuthException e) {
            return CompletableFuture.completedFuture(new Result(null, 401, "Invalid " + role + " token: "
                    + e.getMessage(), false, Challenges.invalidToken(null)));
        }
        if (presented == null) {
            return CompletableFuture.completedFuture(whenMissing == null
                    ? new Result(MercureClaims.NONE, 200, null) : new Result(null, 401, whenMissing));
        }
        TokenExtractor.Found found = presented.found();
        boolean fromCookie = found.source() == TokenExtractor.Source.COOKIE;
        return tokens.verifyAsync(found.token()).handle((claims, failure) -> {
            if (failure == null) {
                if (!claims.accessToken() && (needsAccessToken || presented.accessTokenCookie())) {
                    String why = presented.accessTokenCookie()
                            ? "the " + accessTokenCookie + " cookie holds Mercure 1.0 access tokens, which"
                            : "a Mercure 1.0 request (match, match_exact, match_urlpattern, last_event_id or the QUERY"
                                    + " method) needs an access token, which";
                    String message = why + " must have typ at+jwt; this JWT has none, so it would be read as a"
                            + " Mercure 0.x token";
                    return new Result(null, 401, "Invalid " + role + " token: " + message, false,
                            Challenges.invalidToken(null, message));
                }
                if (claims.accessToken()) {
                    String wrongAudience = audienceProblem(claims.audiences());
                    if (wrongAudience != null) {
                        return new Result(null, 401, "Invalid " + role + " token: " + wrongAudience, false,
                                Challenges.invalidToken(null));
                    }
                }
                return new Result(claims, 200, null, fromCookie);
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof AuthException e) {
                return new Result(null, 401, "Invalid " + role + " token: " + e.getMessage(), false,
                        e.getMessage().equals(TrustedIssuers.NO_ISSUER) ? Challenges.invalidToken(null, e.getMessage())
                                : Challenges.invalidToken(null));
            }
            if (cause instanceof RejectedExecutionException) {
                return new Result(null, 503, "Too many " + role + " tokens are waiting to be checked against the key"
                        + " set; retry in a moment.");
            }
            return new Result(null, 503, "The " + role + " token could not be checked: " + cause + "; retry later.");
        });
    }

    /**
     * A Mercure 1.0 access token must name this hub's resource identifier in {@code aud}: one of
     * the {@code --token-audience} values (already enforced for every token when given) or the
     * {@code --hub-url}. With neither configured the hub cannot know its identifier (a Host
     * header is the client's to choose), so it accepts no access token and says how to fix that.
     */
    private String audienceProblem(List<String> aud) {
        if (!tokenAudiences.isEmpty()) {
            return null;
        }
        if (hubUrl == null) {
            return "this hub has no resource identifier to check the access token's aud against: start it with"
                    + " --hub-url (its public URL) or --token-audience";
        }
        return aud.contains(hubUrl) ? null
                : "the access token's aud " + aud + " does not name this hub (" + hubUrl + ")";
    }

    /**
     * 0.x places: header, {@code authorization} query parameter, {@code mercureAuthorization}
     * cookie, then the access token cookie. 1.0 places: header, the access token cookie, then the
     * 0.x cookie (so a browser moving its EventSource to {@code match=} keeps its cookie, which must
     * then hold an access token).
     */
    private Presented token(HttpRequest req, QueryStringDecoder query, boolean accessTokenPlacesOnly)
            throws AuthException {
        String header = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        String cookies = req.headers().get(HttpHeaderNames.COOKIE);
        if (accessTokenPlacesOnly) {
            TokenExtractor.Found found = TokenExtractor.findAccessToken(header, cookies, accessTokenCookie);
            if (found != null) {
                return new Presented(found, found.source() == TokenExtractor.Source.COOKIE);
            }
            return Presented.of(TokenExtractor.find(null, null, cookies), false);
        }
        List<String> fromQuery = query.parameters().get("authorization");
        TokenExtractor.Found found = TokenExtractor.find(header,
                fromQuery == null || fromQuery.isEmpty() ? null : fromQuery.get(0), cookies);
        return found != null ? new Presented(found, false)
                : Presented.of(TokenExtractor.findAccessToken(null, cookies, accessTokenCookie), true);
    }

    /** A token found, and whether it came from the access token cookie (the 1.0 one). */
    private record Presented(TokenExtractor.Found found, boolean accessTokenCookie) {
        static Presented of(TokenExtractor.Found found, boolean accessTokenCookie) {
            return found == null ? null : new Presented(found, accessTokenCookie);
        }
    }

    /**
     * Runs {@code then} with the outcome of a token check on the request's event loop: at once when
     * the check is already done (a configured key, a remembered token), else when it completes off
     * the loop (a key set being fetched). Meanwhile the connection stops reading and the request
     * (with its body) is kept; the loop goes on serving everyone else. A connection that went away
     * meanwhile is not answered.
     */
    static void whenChecked(ChannelHandlerContext ctx, FullHttpRequest req, CompletableFuture<Result> checked,
                            java.util.function.Consumer<Result> then) {
        if (checked.isDone()) {
            then.accept(checked.join());
            return;
        }
        req.retain();
        ctx.channel().config().setAutoRead(false);
        checked.thenAccept(who -> ctx.executor().execute(() -> {
            try {
                ctx.channel().config().setAutoRead(true);
                if (ctx.channel().isActive()) {
                    then.accept(who);
                }
            } finally {
                req.release();
            }
        }));
    }
}
