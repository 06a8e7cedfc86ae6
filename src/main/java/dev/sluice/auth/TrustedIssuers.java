package dev.sluice.auth;

import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which keys may verify a Mercure 1.0 access token ({@code typ: at+jwt}): those of the issuer its
 * {@code iss} names, and no other (Mercure 1.0, Token validation: each trusted key is bound to its
 * issuer). An access token must carry {@code iss}, and it must be exactly one of:
 * <ul>
 *   <li>an issuer given with its own keys ({@code --trusted-issuer ISSUER=KEY}): only those keys
 *       verify it;</li>
 *   <li>the {@code --token-issuer}, bound to the hub's publisher and subscriber keys (the keys of
 *       the role the request plays), as before issuers had keys of their own.</li>
 * </ul>
 * With neither configured, the hub trusts no issuer and refuses every access token, saying which
 * option to set. Mercure 0.x tokens (a {@code mercure} claim, no {@code at+jwt}) are not affected:
 * they are verified with the role's keys, and {@code --token-issuer}, when set, is required of
 * them as before.
 *
 * <p>The {@code iss} is read before the signature is checked, only to pick the keys; the chosen
 * verifier checks the signature and then requires that same {@code iss} again, so a token cannot
 * name one issuer to be checked with another's keys. Immutable and thread-safe.
 */
public final class TrustedIssuers implements AutoCloseable {

    /** No issuer with keys of its own and no {@code --token-issuer}: every access token is refused. */
    public static final TrustedIssuers NONE = new TrustedIssuers(Map.of(), null);

    private final Map<String, TokenVerifier> byIssuer;
    private final String roleKeysIssuer;

    /**
     * @param byIssuer       each issuer with keys of its own and the verifier holding them (which
     *                       must require that issuer's {@code iss})
     * @param roleKeysIssuer the {@code --token-issuer}, whose access tokens the role's keys verify;
     *                       null for none
     */
    public TrustedIssuers(Map<String, TokenVerifier> byIssuer, String roleKeysIssuer) {
        this.byIssuer = Map.copyOf(Objects.requireNonNull(byIssuer, "byIssuer"));
        this.roleKeysIssuer = roleKeysIssuer;
    }

    /** True when no access token can be accepted, for lack of any trusted issuer. */
    public boolean none() {
        return byIssuer.isEmpty() && roleKeysIssuer == null;
    }

    /** The trusted issuers, for messages: those with their own keys, then the {@code --token-issuer}. */
    public List<String> names() {
        List<String> names = new ArrayList<>(byIssuer.keySet());
        names.sort(null);
        if (roleKeysIssuer != null && !byIssuer.containsKey(roleKeysIssuer)) {
            names.add(roleKeysIssuer);
        }
        return names;
    }

    /** The message refusing an access token on a hub that trusts no issuer. */
    public static final String NO_ISSUER = "this hub trusts no issuer of Mercure 1.0 access tokens (typ at+jwt):"
            + " start it with --trusted-issuer ISSUER=KEY (the issuer's secret, PEM key or JWKS URL), or with"
            + " --token-issuer ISSUER to verify them with the publisher and subscriber keys";

    /**
     * The verifier for this token: the role's for a 0.x token (or one whose header cannot be read,
     * so that the role's verifier says what is wrong with it), else the one bound to its issuer.
     *
     * @param role the verifier of the role the request plays (publisher or subscriber keys)
     * @throws AuthException when the token is an access token without {@code iss}, or naming an
     *                       issuer this hub does not trust, or when no issuer is trusted at all
     */
    public TokenVerifier select(String compactJwt, TokenVerifier role) throws AuthException {
        if (compactJwt == null) {
            return role;
        }
        String token = compactJwt.strip();
        int first = token.indexOf('.');
        if (first < 0) {
            return role;
        }
        Map<String, Object> header;
        try {
            header = JSONObjectUtils.parse(Base64URL.from(token.substring(0, first)).decodeToString());
        } catch (ParseException | RuntimeException e) {
            return role;
        }
        if (!(header.get("typ") instanceof String typ) || !TokenVerifier.isAccessTokenType(typ)) {
            return role;
        }
        int second = token.indexOf('.', first + 1);
        Map<String, Object> payload;
        try {
            payload = JSONObjectUtils.parse(Base64URL.from(
                    token.substring(first + 1, second < 0 ? token.length() : second)).decodeToString());
        } catch (ParseException | RuntimeException e) {
            throw new AuthException("token is malformed: its payload is not base64url-encoded JSON", e);
        }
        Object iss = payload.get("iss");
        if (iss == null) {
            throw new AuthException("access token (typ at+jwt) has no iss claim; Mercure 1.0 requires one naming an"
                    + " issuer this hub trusts");
        }
        if (!(iss instanceof String issuer)) {
            throw new AuthException("access token iss claim must be a string");
        }
        TokenVerifier own = byIssuer.get(issuer);
        if (own != null) {
            return own;
        }
        if (issuer.equals(roleKeysIssuer)) {
            return role;
        }
        if (none()) {
            throw new AuthException(NO_ISSUER);
        }
        throw new AuthException("access token iss claim '" + issuer + "' is not an issuer this hub trusts ("
                + String.join(", ", names()) + ")");
    }

    /** Stops the background work of the issuers' key sets. */
    @Override
    public void close() {
        for (TokenVerifier verifier : new LinkedHashMap<>(byIssuer).values()) {
            verifier.close();
        }
    }
}
