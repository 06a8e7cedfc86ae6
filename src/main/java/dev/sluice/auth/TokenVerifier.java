package dev.sluice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import java.security.Key;
import java.util.Arrays;
import java.util.HashSet;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks compact JWS tokens against one configured key, or the keys of a JSON Web Key Set
 * ({@link #jwks}), and turns the accepted ones into
 * {@link MercureClaims}. A token is accepted only if it is signed with exactly the configured
 * algorithm, its signature verifies, it is within its {@code nbf}/{@code exp} window (give or take
 * the clock skew) and its {@code mercure} claim, when present, has the shape the Mercure spec
 * describes. Every refusal is an {@link AuthException} whose message says which of these failed.
 *
 * <p>Instances are immutable and thread-safe; build one per key at start-up and share it.
 */
public final class TokenVerifier implements AutoCloseable {

    /** A sensible tolerance for clocks of publishers and the hub drifting apart. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(5);
    private static final DefaultJWSVerifierFactory VERIFIERS = new DefaultJWSVerifierFactory();
    /** The largest NumericDate whose milliseconds fit a {@code long}. */
    private static final long MAX_NUMERIC_DATE = Long.MAX_VALUE / 1000;

    private final JwtAlgorithm algorithm;
    private final JWSVerifier verifier;
    private final JWSVerificationKeySelector<SecurityContext> keySet;
    private final JWKSource<SecurityContext> keySource;
    private final Duration clockSkew;
    private final Clock clock;
    private final String keyDescription;
    private final String issuer;
    private final List<String> audiences;
    /** Where checks against a key set run (they may wait for a fetch); null for a configured key. */
    private final java.util.concurrent.ThreadPoolExecutor offLoop;

    /** Threads that check tokens against a key set; they mostly wait for a fetch, if anything. */
    static final int KEY_SET_THREADS = 4;
    /** Checks that may wait for those threads; more are refused at once (the gateway answers 503). */
    static final int KEY_SET_QUEUE = 10_000;

    /**
     * A verifier whose refusals name the key's role, e.g. {@code "subscriber"} gives "signature
     * does not verify with the configured subscriber key" — useful when a hub has two keys and the
     * operator must know which one to fix.
     *
     * @param keyRole   a word such as "publisher" or "subscriber"; null for none
     * @param clockSkew how far {@code exp} and {@code nbf} may be overstepped; zero or positive
     */
    public TokenVerifier(String keyRole, JwtKey key, Duration clockSkew, Clock clock) {
        this(keyRole, key, clockSkew, clock, null, List.of());
    }

    /**
     * As {@link #TokenVerifier(String, JwtKey, Duration, Clock)}, also requiring the {@code iss}
     * and {@code aud} claims a hub was configured to expect.
     *
     * @param issuer    the exact {@code iss} every token must carry; null to accept any or none
     * @param audiences the {@code aud} values of which a token must name at least one; empty to
     *                  accept any or none
     */
    public TokenVerifier(String keyRole, JwtKey key, Duration clockSkew, Clock clock, String issuer,
                         List<String> audiences) {
        Objects.requireNonNull(key, "key");
        this.issuer = issuer;
        this.audiences = List.copyOf(audiences);
        Objects.requireNonNull(clockSkew, "clockSkew");
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clock skew must not be negative: " + clockSkew);
        }
        this.algorithm = key.algorithm();
        this.verifier = key.newVerifier();
        this.keySet = null;
        this.keySource = null;
        this.offLoop = null;
        this.clockSkew = clockSkew;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.keyDescription = keyRole == null || keyRole.isBlank()
                ? "the configured key"
                : "the configured " + keyRole.strip() + " key";
    }

    private TokenVerifier(String keyRole, JWKSource<SecurityContext> keys, Duration clockSkew, Clock clock,
                          String issuer, List<String> audiences) {
        Objects.requireNonNull(keys, "keys");
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clock skew must not be negative: " + clockSkew);
        }
        Set<JWSAlgorithm> accepted = new HashSet<>();
        for (JwtAlgorithm alg : JwtAlgorithm.values()) {
            accepted.add(alg.jwsAlgorithm());
        }
        this.algorithm = null;
        this.verifier = null;
        // Selects only keys whose type suits the token's alg (oct for HS*, RSA for RS*, EC of the
        // right curve for ES*) and, when the token names one, whose kid is that one.
        this.keySet = new JWSVerificationKeySelector<>(accepted, keys);
        this.keySource = keys;
        this.offLoop = new java.util.concurrent.ThreadPoolExecutor(KEY_SET_THREADS, KEY_SET_THREADS, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(KEY_SET_QUEUE),
                task -> {
                    Thread t = new Thread(task, "sluice-token-check");
                    t.setDaemon(true);
                    return t;
                });
        this.offLoop.allowCoreThreadTimeOut(true);
        this.clockSkew = clockSkew;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.keyDescription = "the keys of the " + (keyRole == null || keyRole.isBlank() ? "" : keyRole.strip() + " ")
                + "JWKS";
        this.issuer = issuer;
        this.audiences = List.copyOf(audiences);
    }

    /**
     * A verifier that takes its keys from a JSON Web Key Set (for example nimbus's
     * {@code JWKSourceBuilder} over a URL, which caches and refreshes it). The token's {@code alg}
     * must be one of {@link JwtAlgorithm} and is checked with a key of the matching type only.
     */
    public static TokenVerifier jwks(String keyRole, JWKSource<SecurityContext> keys, Duration clockSkew, Clock clock,
                                     String issuer, List<String> audiences) {
        return new TokenVerifier(keyRole, keys, clockSkew, clock, issuer, audiences);
    }

    /**
     * Verifies a compact-serialized JWS and returns the rights it grants.
     *
     * @throws AuthException saying why the token is refused
     */
    public MercureClaims verify(String compactJwt) throws AuthException {
        if (compactJwt == null || compactJwt.isBlank()) {
            throw new AuthException("token is empty");
        }
        String token = compactJwt.strip();
        int parts = countParts(token);
        Map<String, Object> header = parseHeader(token);

        // Look at alg ourselves before handing the token to nimbus, so that "none" and JWE get a
        // precise refusal instead of a generic parse error, whatever the rest of the token holds.
        if (!(header.get("alg") instanceof String alg) || alg.isEmpty()) {
            throw new AuthException("token header has no alg");
        }
        if (alg.equalsIgnoreCase("none")) {
            throw new AuthException("algorithm none is not accepted");
        }
        if (parts == 5 || header.containsKey("enc")) {
            throw new AuthException("encrypted tokens (JWE) are not accepted; send a signed token (JWS)");
        }
        if (parts != 3) {
            throw new AuthException("token is malformed: expected 3 dot-separated parts, found " + parts);
        }
        if (algorithm != null && !alg.equals(algorithm.name())) {
            throw new AuthException("token uses " + alg + " but the hub expects " + algorithm);
        }
        if (algorithm == null && !acceptedName(alg)) {
            throw new AuthException("token uses " + alg + ", which the hub does not accept (accepted: "
                    + Arrays.toString(JwtAlgorithm.values()) + ")");
        }
        if (token.endsWith(".")) {
            throw new AuthException("token has an empty signature");
        }

        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException | RuntimeException e) {
            throw new AuthException("token is malformed: " + e.getMessage(), e);
        }
        // Nimbus would also refuse unknown critical parameters, but only by reporting a bad
        // signature, which would send the operator looking at the wrong thing.
        Set<String> crit = jwt.getHeader().getCriticalParams();
        if (crit != null && !crit.isEmpty()) {
            throw new AuthException("token has critical header parameters the hub does not support: " + crit);
        }
        if (keySet == null) {
            try {
                if (!jwt.verify(verifier)) {
                    throw new AuthException("signature does not verify with " + keyDescription);
                }
            } catch (JOSEException | RuntimeException e) {
                throw new AuthException("signature cannot be checked: " + e.getMessage(), e);
            }
        } else {
            verifyWithKeySet(jwt);
        }

        // Only a token with a valid signature gets its claims read: nothing below is attacker-chosen.
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            throw new AuthException("token claims are malformed: " + e.getMessage(), e);
        }
        Map<String, Object> payload = jwt.getPayload().toJSONObject();
        checkNumericDate(payload, "exp");
        checkNumericDate(payload, "nbf");
        Instant now = clock.instant();
        Instant expiresAt = toInstant(claims.getExpirationTime());
        if (expiresAt != null && !now.isBefore(expiresAt.plus(clockSkew))) {
            throw new AuthException("token expired at " + expiresAt);
        }
        Instant notBefore = toInstant(claims.getNotBeforeTime());
        if (notBefore != null && now.plus(clockSkew).isBefore(notBefore)) {
            throw new AuthException("token is not valid before " + notBefore);
        }
        checkIssuer(claims);
        checkAudience(claims);
        if (isAccessToken(jwt.getHeader().getType())) {
            return accessTokenClaims(claims, expiresAt);
        }
        return mercureClaims(claims.getClaim("mercure"), expiresAt, claims.getSubject());
    }

    /** {@code typ} is {@code at+jwt} or {@code application/at+jwt}, case-insensitively (RFC 9068). */
    static boolean isAccessToken(com.nimbusds.jose.JOSEObjectType type) {
        return type != null && isAccessTokenType(type.getType());
    }

    /** As {@link #isAccessToken}, for the header's {@code typ} as a string. */
    static boolean isAccessTokenType(String typ) {
        String lower = typ.toLowerCase(java.util.Locale.ROOT);
        return lower.equals("at+jwt") || lower.equals("application/at+jwt");
    }

    /**
     * A Mercure 1.0 access token: RFC 9068 and Mercure require {@code exp}, {@code iss} and an
     * {@code aud} naming this hub, and its rights are its {@code authorization_details} only (a
     * {@code mercure} claim in it is not read).
     */
    private MercureClaims accessTokenClaims(JWTClaimsSet claims, Instant expiresAt) throws AuthException {
        if (expiresAt == null) {
            throw new AuthException("access token (typ at+jwt) has no exp claim; Mercure 1.0 requires one");
        }
        if (claims.getIssuer() == null) {
            throw new AuthException("access token (typ at+jwt) has no iss claim; Mercure 1.0 requires one");
        }
        if (claims.getAudience().isEmpty()) {
            throw new AuthException("access token (typ at+jwt) has no aud claim; Mercure 1.0 requires one naming"
                    + " the hub");
        }
        Object details;
        try {
            details = claims.getClaim("authorization_details");
        } catch (RuntimeException e) {
            throw new AuthException("authorization_details is malformed: " + e.getMessage(), e);
        }
        return MercureClaims.accessToken(AuthorizationDetails.read(details, AuthorizationDetails.MAX_MATCH_LENGTH),
                expiresAt, claims.getSubject(), claims.getAudience());
    }

    /**
     * Refuses an {@code exp} or {@code nbf} too large to be a time: nimbus turns the seconds into
     * milliseconds in a {@code long}, which overflows, so {@code exp: 1e300} would read as expired
     * in 1969 and {@code nbf: 1e300} as long past (a token meant never to be valid, accepted).
     */
    private static void checkNumericDate(Map<String, Object> payload, String name) throws AuthException {
        if (payload != null && payload.get(name) instanceof Number value && !inRange(value)) {
            throw new AuthException("token " + name + " claim " + value + " is out of range: it must be seconds since"
                    + " 1970-01-01T00:00:00Z, at most " + MAX_NUMERIC_DATE);
        }
    }

    private static boolean inRange(Number seconds) {
        if (seconds instanceof Long || seconds instanceof Integer || seconds instanceof Short
                || seconds instanceof Byte) {
            long s = seconds.longValue();
            return s >= -MAX_NUMERIC_DATE && s <= MAX_NUMERIC_DATE;
        }
        // A double this large is not exact: below the limit's nearest double, strictly, is safe.
        double s = seconds.doubleValue();
        return s > -MAX_NUMERIC_DATE && s < MAX_NUMERIC_DATE;
    }

    private void checkIssuer(JWTClaimsSet claims) throws AuthException {
        if (issuer == null) {
            return;
        }
        // Nimbus has already refused an iss that is not a string ("token claims are malformed").
        String iss = claims.getIssuer();
        if (iss == null) {
            throw new AuthException("token has no iss claim but the hub requires issuer '" + issuer + "'");
        }
        if (!issuer.equals(iss)) {
            throw new AuthException("token iss claim '" + iss + "' is not the issuer the hub requires ('"
                    + issuer + "')");
        }
    }

    private void checkAudience(JWTClaimsSet claims) throws AuthException {
        if (audiences.isEmpty()) {
            return;
        }
        // Nimbus reads a single string or an array of strings (RFC 7519 section 4.1.3) and refuses
        // any other shape as malformed claims.
        List<String> named = claims.getAudience();
        if (named.isEmpty()) {
            throw new AuthException("token has no aud claim but the hub requires one of " + audiences);
        }
        for (String value : named) {
            if (audiences.contains(value)) {
                return;
            }
        }
        throw new AuthException("token aud claim " + named + " names none of the audiences the hub accepts "
                + audiences);
    }

    /**
     * Where {@link #verify} should run when the caller must not block: null for a configured key
     * (verification only computes), an executor for a key set, whose first fetch, refresh after
     * expiry or look-up of an unknown {@code kid} may wait on the network. Bounded: a task it
     * cannot queue is rejected ({@link java.util.concurrent.RejectedExecutionException}).
     */
    public java.util.concurrent.Executor blockingExecutor() {
        return offLoop;
    }

    /** Stops the background work of a key set source (its refresh threads); nothing for a configured key. */
    @Override
    public void close() {
        if (offLoop != null) {
            offLoop.shutdownNow();
        }
        if (keySource instanceof java.io.Closeable closeable) {
            try {
                closeable.close();
            } catch (java.io.IOException e) {
                // Only executors are shut down here; nothing is left to release.
            }
        }
    }

    private static boolean acceptedName(String alg) {
        for (JwtAlgorithm accepted : JwtAlgorithm.values()) {
            if (accepted.name().equals(alg)) {
                return true;
            }
        }
        return false;
    }

    private void verifyWithKeySet(SignedJWT jwt) throws AuthException {
        JWSHeader header = jwt.getHeader();
        List<JWSVerifier> candidates;
        try {
            candidates = header.getAlgorithm().equals(JWSAlgorithm.EdDSA) ? ed25519Verifiers(header)
                    : javaKeyVerifiers(header);
        } catch (com.nimbusds.jose.jwk.source.RateLimitReachedException e) {
            // The kid is not among the keys held, and the set was fetched again too recently to look anew.
            throw new AuthException("no key in " + keyDescription + " suits " + header.getAlgorithm()
                    + (header.getKeyID() == null ? "" : " with kid '" + header.getKeyID() + "'")
                    + " (the key set was fetched again too recently to look for it once more)", e);
        } catch (KeySourceException | RuntimeException e) {
            throw new AuthException("the hub cannot fetch " + keyDescription + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        if (candidates.isEmpty()) {
            throw new AuthException("no key in " + keyDescription + " suits " + header.getAlgorithm()
                    + (header.getKeyID() == null ? "" : " with kid '" + header.getKeyID() + "'"));
        }
        for (JWSVerifier candidate : candidates) {
            try {
                if (jwt.verify(candidate)) {
                    return;
                }
            } catch (JOSEException | RuntimeException e) {
                // This key cannot check this token (e.g. an HMAC key shorter than the algorithm needs): try the next.
            }
        }
        throw new AuthException("signature does not verify with " + keyDescription);
    }

    /** Verifiers for the RSA, EC or HMAC keys of the set that suit the token's alg (and kid). */
    private List<JWSVerifier> javaKeyVerifiers(JWSHeader header) throws KeySourceException {
        List<JWSVerifier> out = new ArrayList<>();
        for (Key key : keySet.selectJWSKeys(header, null)) {
            if (key instanceof java.security.interfaces.RSAPublicKey rsa && rsa.getModulus().bitLength() < 2048) {
                continue; // as for a configured key: too weak to trust
            }
            try {
                out.add(VERIFIERS.createJWSVerifier(header, key));
            } catch (JOSEException e) {
                // not a key this algorithm can use
            }
        }
        return out;
    }

    /**
     * Verifiers for the Ed25519 keys of the set (OKP, crv Ed25519, and the token's kid when it
     * names one). Nimbus's key selector hands out JCA keys, which an OKP key is not, so these are
     * selected here with nimbus's matcher for the header.
     */
    private List<JWSVerifier> ed25519Verifiers(JWSHeader header) throws KeySourceException {
        List<JWSVerifier> out = new ArrayList<>();
        for (com.nimbusds.jose.jwk.JWK jwk : keySource.get(
                new com.nimbusds.jose.jwk.JWKSelector(com.nimbusds.jose.jwk.JWKMatcher.forJWSHeader(header)), null)) {
            if (jwk instanceof com.nimbusds.jose.jwk.OctetKeyPair okp
                    && com.nimbusds.jose.jwk.Curve.Ed25519.equals(okp.getCurve())) {
                try {
                    out.add(new com.nimbusds.jose.crypto.Ed25519Verifier(okp.toPublicJWK()));
                } catch (JOSEException e) {
                    // not usable
                }
            }
        }
        return out;
    }

    private static int countParts(String token) {
        int parts = 1;
        for (int i = 0; i < token.length(); i++) {
            if (token.charAt(i) == '.') {
                parts++;
            }
        }
        return parts;
    }

    private static Map<String, Object> parseHeader(String token) throws AuthException {
        int dot = token.indexOf('.');
        if (dot < 0) {
            throw new AuthException("token is malformed: not a compact JWT (no dots)");
        }
        try {
            return JSONObjectUtils.parse(Base64URL.from(token.substring(0, dot)).decodeToString());
        } catch (ParseException | RuntimeException e) {
            throw new AuthException("token is malformed: header is not base64url-encoded JSON", e);
        }
    }

    private static Instant toInstant(Date date) {
        return date == null ? null : date.toInstant();
    }

    // The Mercure spec leaves publish and subscribe optional; a JSON null is treated like absence,
    // as the reference hub does, but any other wrong shape is refused rather than ignored so that a
    // mistyped token does not silently grant less (or more) than its author meant.
    private static MercureClaims mercureClaims(Object mercure, Instant expiresAt, String subject)
            throws AuthException {
        if (mercure == null) {
            return new MercureClaims(List.of(), List.of(), null, expiresAt, subject);
        }
        if (!(mercure instanceof Map<?, ?> object)) {
            throw new AuthException("mercure claim must be a JSON object, found " + jsonType(mercure));
        }
        return new MercureClaims(
                selectors(object, "publish"),
                selectors(object, "subscribe"),
                object.get("payload"),
                expiresAt,
                subject);
    }

    private static List<String> selectors(Map<?, ?> mercure, String name) throws AuthException {
        Object value = mercure.get(name);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> array)) {
            throw new AuthException("mercure." + name + " must be an array of strings, found " + jsonType(value));
        }
        List<String> result = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof String selector)) {
                throw new AuthException("mercure." + name + "[" + i + "] must be a string, found "
                        + jsonType(array.get(i)));
            }
            result.add(selector);
        }
        return result;
    }

    private static String jsonType(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map<?, ?>) {
            return "an object";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        return value.getClass().getSimpleName();
    }
}
