package dev.sluice.mercure;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.support.TestHub;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Mercure 1.0 access tokens (typ at+jwt, authorization_details) signed with the test secret. */
public final class AccessTokens {

    public static final String HUB_URL = "https://hub.example/.well-known/mercure";
    public static final String ISSUER = "https://app.example";
    public static final String TYPE = "https://mercure.rocks/authorization-detail";
    /** The {@code --trusted-issuer} value binding {@link #ISSUER} to the test secret (HS256). */
    public static final String TRUSTED = ISSUER + "=" + TestHub.SECRET;

    private AccessTokens() {
    }

    /** A topic matcher object: {"match": m} or {"match": m, "match_type": type}. */
    public static Map<String, Object> match(String match, String type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("match", match);
        if (type != null) {
            m.put("match_type", type);
        }
        return m;
    }

    public static Map<String, Object> detail(List<String> actions, List<Map<String, Object>> topics) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("type", TYPE);
        d.put("actions", actions);
        d.put("topics", topics);
        return d;
    }

    /** A valid access token for the hub with these authorization details. */
    public static String token(List<?> details) {
        return sign("at+jwt", claims(details).build());
    }

    public static JWTClaimsSet.Builder claims(List<?> details) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(HUB_URL)
                .subject("urn:uuid:" + UUID.randomUUID())
                .claim("client_id", ISSUER)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600)))
                .jwtID("urn:uuid:" + UUID.randomUUID())
                .claim("authorization_details", new ArrayList<>(details));
    }

    public static String sign(String typ, JWTClaimsSet claims) {
        try {
            JWSHeader.Builder header = new JWSHeader.Builder(JWSAlgorithm.HS256);
            if (typ != null) {
                header.type(new JOSEObjectType(typ));
            }
            SignedJWT jwt = new SignedJWT(header.build(), claims);
            jwt.sign(new MACSigner(TestHub.SECRET.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Publishes to everything (1.0). */
    public static String publisher() {
        return token(List.of(detail(List.of("publish"), List.of(match("*", null)))));
    }

    /** Subscribes to private updates of the URL pattern (1.0). */
    public static String subscriber(String urlPattern) {
        return token(List.of(detail(List.of("subscribe"), List.of(match(urlPattern, "urlpattern")))));
    }
}
