package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code --token-issuer} and {@code --token-audience} over a real gateway, for both kinds of token. */
class IssuerAudienceTest {

    static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        hub = TestHub.start(b -> b.tokenIssuer("https://auth.example")
                .tokenAudiences(List.of("https://hub.example", "hub-b")));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    /** An HS256 token with the test secret; iss and aud are left out when null. */
    static String token(String iss, Object aud, List<String> publish, List<String> subscribe) throws Exception {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .claim("mercure", Map.of("publish", publish, "subscribe", subscribe));
        if (iss != null) {
            claims.issuer(iss);
        }
        if (aud instanceof String one) {
            claims.audience(one);
        } else if (aud instanceof List<?> many) {
            claims.audience(many.stream().map(String.class::cast).toList());
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(TestHub.SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    static String publisher(String iss, Object aud) throws Exception {
        return token(iss, aud, List.of("*"), List.of());
    }

    static String subscriber(String iss, Object aud) throws Exception {
        return token(iss, aud, List.of(), List.of("*"));
    }

    @Test
    void publisherWithTheIssuerAndOneOfTheAudiencesIsAccepted() throws Exception {
        String single = publisher("https://auth.example", "hub-b");
        assertThat(hub.publish(single, TestHub.form("topic", "a", "data", "x")).statusCode()).isEqualTo(200);
        String array = publisher("https://auth.example", List.of("other", "https://hub.example"));
        assertThat(hub.publish(array, TestHub.form("topic", "a", "data", "y")).statusCode()).isEqualTo(200);
    }

    @Test
    void publisherWithoutIssuerIsRefused() throws Exception {
        HttpResponse<String> res = hub.publish(publisher(null, "hub-b"), TestHub.form("topic", "a", "data", "x"));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("Invalid publisher token").contains("no iss claim")
                .contains("https://auth.example");
        assertThat(res.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer realm=\"mercure\", error=\"invalid_token\""));
    }

    @Test
    void publisherWithAnotherIssuerIsRefused() throws Exception {
        HttpResponse<String> res = hub.publish(publisher("https://evil.example", "hub-b"),
                TestHub.form("topic", "a", "data", "x"));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("iss claim 'https://evil.example'").contains("https://auth.example");
    }

    @Test
    void publisherWithoutAudienceIsRefused() throws Exception {
        HttpResponse<String> res = hub.publish(publisher("https://auth.example", null),
                TestHub.form("topic", "a", "data", "x"));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("no aud claim").contains("hub-b");
    }

    @Test
    void publisherForAnotherAudienceIsRefused() throws Exception {
        HttpResponse<String> res = hub.publish(publisher("https://auth.example", List.of("x", "hub-c")),
                TestHub.form("topic", "a", "data", "x"));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("aud claim [x, hub-c]").contains("none of the audiences");
    }

    @Test
    void subscriberWithTheIssuerAndAudienceIsAcceptedAndGetsUpdates() throws Exception {
        String token = subscriber("https://auth.example", "https://hub.example");
        try (SseStream s = hub.subscribe("topic=ia", "Authorization", "Bearer " + token)) {
            HttpResponse<String> published = hub.publish(publisher("https://auth.example", "hub-b"),
                    TestHub.form("topic", "ia", "data", "hello", "private", "on"));
            assertThat(published.statusCode()).isEqualTo(200);
            assertThat(s.next().data()).isEqualTo("hello");
        }
    }

    @Test
    void subscriberWithAnotherIssuerIsRefused() throws Exception {
        HttpResponse<String> res = hub.subscribeRefused("topic=ia",
                "Authorization", "Bearer " + subscriber("https://evil.example", "hub-b"));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("Invalid subscriber token").contains("iss claim 'https://evil.example'");
        assertThat(res.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer realm=\"mercure\", error=\"invalid_token\""));
    }

    @Test
    void subscriberForAnotherAudienceIsRefused() throws Exception {
        HttpResponse<String> res = hub.subscribeRefused("topic=ia",
                "Cookie", "mercureAuthorization=" + subscriber("https://auth.example", "hub-c"));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("aud claim [hub-c]");
    }

    @Test
    void theTokenMadeForARunWithoutKeyCarriesTheRequiredClaims() throws Exception {
        try (TestHub keyless = TestHub.start(b -> b.publisherJwt(null, "HS256").tokenIssuer("iss-x")
                .tokenAudiences(List.of("aud-x")))) {
            String token = keyless.gateway.generatedPublisherToken();
            assertThat(keyless.publish(token, TestHub.form("topic", "a", "data", "x")).statusCode()).isEqualTo(200);
        }
    }
}
