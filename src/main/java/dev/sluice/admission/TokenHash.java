package dev.sluice.admission;

import dev.sluice.auth.AuthException;
import dev.sluice.auth.TokenExtractor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The identity of a token for rate limits: the first 128 bits of its SHA-256. The token itself is
 * never kept as a key nor written to a log.
 */
record TokenHash(long high, long low) {

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    });

    static TokenHash of(String token) {
        MessageDigest sha = SHA256.get();
        sha.reset();
        ByteBuffer digest = ByteBuffer.wrap(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
        return new TokenHash(digest.getLong(), digest.getLong());
    }

    /**
     * The hash of the token a request presents (Authorization header, authorization query
     * parameter or mercureAuthorization cookie, as for authentication), or null when it presents
     * none or a malformed one (authentication refuses it later).
     */
    static TokenHash of(HttpHeaders headers, String queryAuthorization) {
        try {
            String token = TokenExtractor.extract(headers.get(HttpHeaderNames.AUTHORIZATION), queryAuthorization,
                    headers.get(HttpHeaderNames.COOKIE));
            return token == null ? null : of(token);
        } catch (AuthException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "token#" + Long.toHexString(high);
    }
}
