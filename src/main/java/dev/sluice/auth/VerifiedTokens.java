package dev.sluice.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

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
    private final Duration clockSkew;
    private final Clock clock;
    private final Cache<String, MercureClaims> verified;

    public VerifiedTokens(TokenVerifier verifier, Duration clockSkew, Clock clock, long maxTokens, Duration keepFor) {
        this.verifier = verifier;
        this.clockSkew = clockSkew;
        this.clock = clock;
        this.verified = Caffeine.newBuilder().maximumSize(maxTokens).expireAfterWrite(keepFor).build();
    }

    public MercureClaims verify(String compactJwt) throws AuthException {
        MercureClaims claims = verified.getIfPresent(compactJwt);
        if (claims != null) {
            Instant exp = claims.expiresAt();
            if (exp == null || clock.instant().isBefore(exp.plus(clockSkew))) {
                return claims;
            }
            verified.invalidate(compactJwt);
        }
        claims = verifier.verify(compactJwt); // throws for an expired one, with its message
        verified.put(compactJwt, claims);
        return claims;
    }
}
