package dev.sluice.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Remembers tokens that verified, so a publisher sending the same token with every request pays
 * for the signature check and JSON parsing once (they were the largest cost of a publish in a
 * profile), not every time.
 *
 * <p>Safe because a verified token's claims cannot change: the signature covers them. Only the
 * passage of time can invalidate it, so {@code exp} is checked again on every use (with the same
 * skew). Refusals are never remembered. The map is bounded (a flood of distinct tokens evicts,
 * it does not grow) and entries are forgotten after a while even without {@code exp}.
 */
public final class VerifiedTokens {

    private final TokenVerifier verifier;
    private final TrustedIssuers issuers;
    private final Duration clockSkew;
    private final Clock clock;
    private final Cache<String, MercureClaims> verified;

    public VerifiedTokens(TokenVerifier verifier, Duration clockSkew, Clock clock, long maxTokens, Duration keepFor) {
        this(verifier, TrustedIssuers.NONE, clockSkew, clock, maxTokens, keepFor);
    }

    /**
     * @param verifier the keys of the role (publisher or subscriber), for 0.x tokens and for access
     *                 tokens of the {@code --token-issuer}
     * @param issuers  picks the keys of an access token's issuer (see {@link TrustedIssuers})
     */
    public VerifiedTokens(TokenVerifier verifier, TrustedIssuers issuers, Duration clockSkew, Clock clock,
                          long maxTokens, Duration keepFor) {
        this.verifier = verifier;
        this.issuers = issuers;
        this.clockSkew = clockSkew;
        this.clock = clock;
        this.verified = Caffeine.newBuilder().maximumSize(maxTokens).expireAfterWrite(keepFor).build();
    }

    public MercureClaims verify(String compactJwt) throws AuthException {
        MercureClaims claims = remembered(compactJwt);
        if (claims != null) {
            return claims;
        }
        return verifyWith(issuers.select(compactJwt, verifier), compactJwt);
    }

    private MercureClaims verifyWith(TokenVerifier chosen, String compactJwt) throws AuthException {
        MercureClaims claims = chosen.verify(compactJwt); // throws for an expired one, with its message
        verified.put(compactJwt, claims);
        return claims;
    }

    /**
     * As {@link #verify}, for a caller that must never block (an event loop). A remembered token,
     * or one checked with a configured key, gives a future that is already complete; a token that
     * needs a key set is checked on the verifier's {@linkplain TokenVerifier#blockingExecutor()
     * executor}, since fetching the set may wait on the network. The future fails with an
     * {@link AuthException} for a refused token, or a
     * {@link java.util.concurrent.RejectedExecutionException} when too many checks wait already.
     */
    public CompletableFuture<MercureClaims> verifyAsync(String compactJwt) {
        MercureClaims claims = remembered(compactJwt);
        if (claims != null) {
            return CompletableFuture.completedFuture(claims);
        }
        TokenVerifier chosen;
        try {
            chosen = issuers.select(compactJwt, verifier);
        } catch (AuthException e) {
            return CompletableFuture.failedFuture(e);
        }
        Executor executor = chosen.blockingExecutor();
        if (executor == null) {
            try {
                return CompletableFuture.completedFuture(verifyWith(chosen, compactJwt));
            } catch (AuthException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return verifyWith(chosen, compactJwt);
                } catch (AuthException e) {
                    throw new CompletionException(e);
                }
            }, executor);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The claims of a remembered token that has not expired since, else null. */
    private MercureClaims remembered(String compactJwt) {
        MercureClaims claims = verified.getIfPresent(compactJwt);
        if (claims != null) {
            Instant exp = claims.expiresAt();
            if (exp == null || clock.instant().isBefore(exp.plus(clockSkew))) {
                return claims;
            }
            verified.invalidate(compactJwt);
        }
        return null;
    }
}
