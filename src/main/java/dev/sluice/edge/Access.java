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

    Result publisher(HttpRequest req, QueryStringDecoder query) {
        Result who = verify(req, query, publishers, "publisher", "A publisher token is required: send"
                + " 'Authorization: Bearer <JWT>' with a mercure.publish claim signed with the publisher key.");
        if (who.ok() && who.claims().publish().isEmpty()) {
            return new Result(null, 403, "The token has no mercure.publish selectors, so it may not publish.");
        }
        if (who.ok() && who.fromCookie()) {
            String refusal = publishOrigins.refusal(req.headers());
            if (refusal != null) {
                return new Result(null, 403, refusal);
            }
        }
        return who;
    }

    Result subscriber(HttpRequest req, QueryStringDecoder query) {
        return verify(req, query, subscribers, "subscriber", anonymous ? null : "A subscriber token is required"
                + " (anonymous subscribers are not allowed on this hub): send 'Authorization: Bearer <JWT>', the"
                + " 'authorization' query parameter or the 'mercureAuthorization' cookie.");
    }

    /** @param whenMissing the refusal when no token was sent, or null to admit the client anonymously */
    private static Result verify(HttpRequest req, QueryStringDecoder query, VerifiedTokens tokens, String role,
                                 String whenMissing) {
        try {
            TokenExtractor.Found found = token(req, query);
            if (found == null) {
                return whenMissing == null ? new Result(MercureClaims.NONE, 200, null) : new Result(null, 401, whenMissing);
            }
            return new Result(tokens.verify(found.token()), 200, null,
                    found.source() == TokenExtractor.Source.COOKIE);
        } catch (AuthException e) {
            return new Result(null, 401, "Invalid " + role + " token: " + e.getMessage());
        }
    }

    private static TokenExtractor.Found token(HttpRequest req, QueryStringDecoder query) throws AuthException {
        List<String> fromQuery = query.parameters().get("authorization");
        return TokenExtractor.find(req.headers().get(HttpHeaderNames.AUTHORIZATION),
                fromQuery == null || fromQuery.isEmpty() ? null : fromQuery.get(0),
                req.headers().get(HttpHeaderNames.COOKIE));
    }
}
