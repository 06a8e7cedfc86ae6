package dev.sluice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Signs HMAC tokens that a {@link TokenVerifier} configured with the same secret accepts. The hub
 * uses it at start-up to print a ready-to-use publisher token when the operator configured no key,
 * and tests and the load generator use it to mint tokens. It only signs with HS*: the hub never
 * holds private keys.
 */
public final class TokenIssuer {

    /** 48 bytes = 384 bits of entropy, which encodes to 64 characters and so satisfies even HS512. */
    private static final int RANDOM_SECRET_BYTES = 48;
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenIssuer() {
    }

    /**
     * Signs a token with a {@code mercure} claim holding the given selectors.
     *
     * @param publish   selectors for {@code mercure.publish}; null leaves the member out
     * @param subscribe selectors for {@code mercure.subscribe}; null leaves the member out
     * @param ttlOrNull lifetime from now, giving {@code exp}; null for a token that never expires
     * @throws IllegalArgumentException if alg is not HS* or the secret is too short for it
     */
    public static String hmac(JwtAlgorithm alg, byte[] secret, List<String> publish, List<String> subscribe,
            Duration ttlOrNull) {
        return hmac(alg, secret, publish, subscribe, ttlOrNull, Clock.systemUTC());
    }

    /** As {@link #hmac(JwtAlgorithm, byte[], List, List, Duration)}, reading "now" from the given clock. */
    public static String hmac(JwtAlgorithm alg, byte[] secret, List<String> publish, List<String> subscribe,
            Duration ttlOrNull, Clock clock) {
        return hmac(alg, secret, publish, subscribe, ttlOrNull, clock, null, List.of());
    }

    /**
     * As {@link #hmac(JwtAlgorithm, byte[], List, List, Duration, Clock)}, also with {@code iss} and
     * {@code aud} claims, for a hub that requires them.
     *
     * @param issuerOrNull the {@code iss} claim; null leaves it out
     * @param audiences    the {@code aud} claim; empty leaves it out
     */
    public static String hmac(JwtAlgorithm alg, byte[] secret, List<String> publish, List<String> subscribe,
            Duration ttlOrNull, Clock clock, String issuerOrNull, List<String> audiences) {
        // Validates the algorithm and the secret length with the very rules the verifier applies.
        JwtKey.hmac(alg, secret);
        Objects.requireNonNull(clock, "clock");

        Map<String, Object> mercure = new LinkedHashMap<>();
        if (publish != null) {
            mercure.put("publish", List.copyOf(publish));
        }
        if (subscribe != null) {
            mercure.put("subscribe", List.copyOf(subscribe));
        }
        Instant now = clock.instant();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issueTime(Date.from(now))
                .claim("mercure", mercure);
        if (ttlOrNull != null) {
            claims.expirationTime(Date.from(now.plus(ttlOrNull)));
        }
        if (issuerOrNull != null) {
            claims.issuer(issuerOrNull);
        }
        if (!audiences.isEmpty()) {
            claims.audience(List.copyOf(audiences));
        }
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(alg.jwsAlgorithm()).type(JOSEObjectType.JWT).build(),
                claims.build());
        try {
            jwt.sign(new MACSigner(secret));
        } catch (JOSEException e) {
            // JwtKey.hmac accepted the secret, so nimbus refusing it would be a bug, not bad input.
            throw new IllegalStateException("cannot sign with " + alg + ": " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    /**
     * A fresh random secret suitable for any HS* algorithm when used as its UTF-8 bytes: 48 bytes
     * from {@link SecureRandom}, base64url-encoded without padding (64 ASCII characters).
     */
    public static String randomSecret() {
        byte[] bytes = new byte[RANDOM_SECRET_BYTES];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
