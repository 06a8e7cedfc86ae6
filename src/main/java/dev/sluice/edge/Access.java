package dev.sluice.edge;

import dev.sluice.auth.AuthException;
import dev.sluice.auth.MercureClaims;
import dev.sluice.auth.TokenExtractor;
import dev.sluice.auth.TokenVerifier;
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

    /** The outcome: claims, or the status and message to refuse with. */
    record Result(MercureClaims claims, int status, String refusal, boolean fromCookie) {
        Result(MercureClaims claims, int status, String refusal) {
            this(claims, status, refusal, false);
        }

        boolean ok() {
            return refusal == null;
        }
    }

    private final VerifiedTokens publishers;
    private final VerifiedTokens subscribers;
    private final boolean anonymous;
    private final PublishOrigins publishOrigins;

    Access(TokenVerifier publishers, TokenVerifier subscribers, Config config) {
        this.publishers = new VerifiedTokens(publishers, config.jwtClockSkew(), Clock.systemUTC(),
                config.publisherTokenCache(), config.tokenCacheTtl());
        this.subscribers = new VerifiedTokens(subscribers, config.jwtClockSkew(), Clock.systemUTC(),
                config.subscriberTokenCache(), config.tokenCacheTtl());
        this.anonymous = config.anonymous();
        this.publishOrigins = new PublishOrigins(config.publishOrigins());
    }

    /**
     * Who publishes. The future is already complete unless the token must be checked against a key
     * set, which happens off the event loop (see {@link VerifiedTokens#verifyAsync}); it never
     * fails: every outcome is a {@link Result}.
     */
    CompletableFuture<Result> publisher(HttpRequest req, QueryStringDecoder query) {
        // Read before any hop to another thread: the request's headers are not shared after this.
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        String referer = req.headers().get(HttpHeaderNames.REFERER);
        return verify(req, query, publishers, "publisher", "A publisher token is required: send"
                + " 'Authorization: Bearer <JWT>' with a mercure.publish claim signed with the publisher key.")
                .thenApply(who -> {
                    if (who.ok() && who.claims().publish().isEmpty()) {
                        return new Result(null, 403, "The token has no mercure.publish selectors, so it may not publish.");
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

    /** Who subscribes; completes as {@link #publisher} does. */
    CompletableFuture<Result> subscriber(HttpRequest req, QueryStringDecoder query) {
        return verify(req, query, subscribers, "subscriber", anonymous ? null : "A subscriber token is required"
                + " (anonymous subscribers are not allowed on this hub): send 'Authorization: Bearer <JWT>', the"
                + " 'authorization' query parameter or the 'mercureAuthorization' cookie.");
    }

    /** @param whenMissing the refusal when no token was sent, or null to admit the client anonymously */
    private static CompletableFuture<Result> verify(HttpRequest req, QueryStringDecoder query, VerifiedTokens tokens,
                                                    String role, String whenMissing) {
        TokenExtractor.Found found;
        try {
            found = token(req, query);
        } catch (AuthException e) {
            return CompletableFuture.completedFuture(new Result(null, 401, "Invalid " + role + " token: " + e.getMessage()));
        }
        if (found == null) {
            return CompletableFuture.completedFuture(whenMissing == null
                    ? new Result(MercureClaims.NONE, 200, null) : new Result(null, 401, whenMissing));
        }
        boolean fromCookie = found.source() == TokenExtractor.Source.COOKIE;
        return tokens.verifyAsync(found.token()).handle((claims, failure) -> {
            if (failure == null) {
                return new Result(claims, 200, null, fromCookie);
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof AuthException e) {
                return new Result(null, 401, "Invalid " + role + " token: " + e.getMessage());
            }
            if (cause instanceof RejectedExecutionException) {
                return new Result(null, 503, "Too many " + role + " tokens are waiting to be checked against the key"
                        + " set; retry in a moment.");
            }
            return new Result(null, 503, "The " + role + " token could not be checked: " + cause + "; retry later.");
        });
    }

    private static TokenExtractor.Found token(HttpRequest req, QueryStringDecoder query) throws AuthException {
        List<String> fromQuery = query.parameters().get("authorization");
        return TokenExtractor.find(req.headers().get(HttpHeaderNames.AUTHORIZATION),
                fromQuery == null || fromQuery.isEmpty() ? null : fromQuery.get(0),
                req.headers().get(HttpHeaderNames.COOKIE));
    }
}
