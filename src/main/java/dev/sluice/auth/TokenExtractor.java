package dev.sluice.auth;

/**
 * Picks the token out of an HTTP request the way the Mercure spec orders the places a client may
 * put it: the {@code Authorization: Bearer} header, then the {@code authorization} query
 * parameter, then the {@code mercureAuthorization} cookie. The first place that is present wins,
 * even if a later one holds a different token. Pure function of its inputs; no I/O, no state.
 */
public final class TokenExtractor {

    /** The cookie name the Mercure spec reserves for the subscriber token. */
    public static final String COOKIE_NAME = "mercureAuthorization";
    /** The query parameter name the Mercure spec reserves for the token. */
    public static final String QUERY_PARAM = "authorization";

    private static final String BEARER = "Bearer";

    /** Where a token was found; a browser sends the cookie by itself, the other two it must be told to send. */
    public enum Source { HEADER, QUERY, COOKIE }

    /** A token and the place it came from. */
    public record Found(String token, Source source) {
    }

    private TokenExtractor() {
    }

    /**
     * Returns the token, or null when the request carries none.
     *
     * @param authorizationHeader     value of the Authorization header, or null if absent
     * @param authorizationQueryParam decoded value of the {@code authorization} query parameter,
     *                                or null if absent; an empty value counts as absent
     * @param cookieHeader            value of the Cookie header, or null if absent; an empty
     *                                {@code mercureAuthorization} cookie counts as absent
     * @throws AuthException if an Authorization header is present but is not a Bearer credential:
     *                       the client meant to authenticate, so falling back to anonymous access
     *                       or to another token would hide its mistake
     */
    public static String extract(String authorizationHeader, String authorizationQueryParam, String cookieHeader)
            throws AuthException {
        Found found = find(authorizationHeader, authorizationQueryParam, cookieHeader);
        return found == null ? null : found.token();
    }

    /**
     * As {@link #extract(String, String, String)}, also saying where the token was found (a publish
     * authenticated by the cookie needs a check of its origin, the others do not).
     *
     * @return the token and its source, or null when the request carries none
     */
    public static Found find(String authorizationHeader, String authorizationQueryParam, String cookieHeader)
            throws AuthException {
        if (authorizationHeader != null) {
            return new Found(bearer(authorizationHeader), Source.HEADER);
        }
        if (authorizationQueryParam != null && !authorizationQueryParam.isBlank()) {
            return new Found(authorizationQueryParam.strip(), Source.QUERY);
        }
        if (cookieHeader != null) {
            String token = cookie(cookieHeader, COOKIE_NAME);
            return token == null ? null : new Found(token, Source.COOKIE);
        }
        return null;
    }

    /**
     * The Mercure 1.0 places, in its order: the {@code Authorization: Bearer} header, then the
     * cookie named {@code cookieName}. A cookie is ambient (the browser attaches it whatever the
     * client chose), so when both are present the header is used and the cookie ignored. Tokens
     * in the query string are not a 1.0 place at all (RFC 9700); the caller refuses them.
     */
    public static Found findAccessToken(String authorizationHeader, String cookieHeader, String cookieName)
            throws AuthException {
        if (authorizationHeader != null) {
            return new Found(bearer(authorizationHeader), Source.HEADER);
        }
        if (cookieHeader != null) {
            String token = cookie(cookieHeader, cookieName);
            return token == null ? null : new Found(token, Source.COOKIE);
        }
        return null;
    }

    private static String bearer(String header) throws AuthException {
        String value = header.strip();
        // RFC 7235: the scheme is case-insensitive and separated from the credentials by whitespace.
        boolean bearerScheme = value.regionMatches(true, 0, BEARER, 0, BEARER.length())
                && (value.length() == BEARER.length() || isSpace(value.charAt(BEARER.length())));
        if (!bearerScheme) {
            throw new AuthException("Authorization header must use the Bearer scheme");
        }
        // The credentials, whitespace around them dropped, copied once (not substring, then strip).
        int start = BEARER.length();
        int end = value.length();
        while (start < end && Character.isWhitespace(value.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(value.charAt(end - 1))) {
            end--;
        }
        String token = value.substring(start, end);
        if (token.isEmpty()) {
            throw new AuthException("Authorization header has the Bearer scheme but no token");
        }
        return token;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    // RFC 6265 section 5.4 syntax: "name=value" pairs separated by ";". The first cookie with the
    // name wins, matching what browsers send first (the most specific path). Values may be quoted.
    private static String cookie(String header, String name) {
        for (String pair : header.split(";")) {
            int eq = pair.indexOf('=');
            if (eq < 0 || !pair.substring(0, eq).strip().equals(name)) {
                continue;
            }
            String value = pair.substring(eq + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            return value.isEmpty() ? null : value;
        }
        return null;
    }
}
