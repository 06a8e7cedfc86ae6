package dev.sluice.hostile;

import dev.sluice.support.TestHub;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tokens built segment by segment, so that any part can be wrong on purpose: a header or payload
 * that is not JSON, claims of the wrong type, a signature over garbage. Signed with HS256 and the
 * test hub's secret (so only the part that is meant to be wrong is).
 */
final class RawTokens {

    static final String HEADER = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    private RawTokens() {}

    static String b64(String text) {
        return b64(text.getBytes(StandardCharsets.UTF_8));
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A token whose header and payload are the given JSON (or any text), correctly signed. */
    static String signedJson(String headerJson, String payloadJson) {
        return signedSegments(b64(headerJson), b64(payloadJson));
    }

    static String signedJson(String payloadJson) {
        return signedJson(HEADER, payloadJson);
    }

    /** A token of the given (already encoded, maybe broken) segments, with a valid HS256 signature over them. */
    static String signedSegments(String header, String payload) {
        return header + "." + payload + "." + b64(hmac(header + "." + payload));
    }

    private static byte[] hmac(String signingInput) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(TestHub.SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(signingInput.getBytes(StandardCharsets.ISO_8859_1));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
