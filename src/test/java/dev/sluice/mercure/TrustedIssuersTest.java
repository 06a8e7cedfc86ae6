package dev.sluice.mercure;

import static dev.sluice.support.TestHub.q;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.auth.TokenIssuer;
import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --trusted-issuer ISSUER=KEY}: each issuer of Mercure 1.0 access tokens is bound to its
 * keys (an HMAC secret, a PEM file, a JWKS URL), an access token must name one of them in
 * {@code iss}, and only that issuer's keys verify it. Mercure 0.x tokens keep the role keys.
 */
class TrustedIssuersTest {

    static final String A = "https://a.example";
    static final String B = "https://b.example";
    static final String C = "https://c.example";
    static final String SECRET_A = "issuer-a-secret-0123456789-abcdefghijklmnop";
    static final ECKey KEY_B = generateEc();
    static final RSAKey KEY_C = generateRsa();

    @TempDir
    static Path dir;
    static HttpServer jwks;
    static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        Path pem = dir.resolve("b.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(KEY_B.toECPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] set = new JWKSet(KEY_C.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        jwks.createContext("/jwks.json", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, set.length);
            exchange.getResponseBody().write(set);
            exchange.close();
        });
        jwks.start();
        String jwksUrl = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json";
        hub = TestHub.start(b -> b.hubUrl(AccessTokens.HUB_URL).trustedIssuers(List.of(
                A + "=" + SECRET_A, B + "=ES256:" + pem, C + "=" + jwksUrl)));
    }

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
        if (jwks != null) {
            jwks.stop(0);
        }
    }

    @Test
    void threeIssuersOnOneHubEachPublishAndSubscribeWithTheirOwnKeys() throws Exception {
        String topic = "https://example.com/issuers/" + System.nanoTime();
        try (SseStream fromA = hub.subscribe("match=" + q(topic), "Authorization",
                "Bearer " + token(A, hmac(SECRET_A), "subscribe"));
             SseStream fromC = hub.subscribe("match=" + q(topic), "Authorization",
                     "Bearer " + token(C, new RSASSASigner(KEY_C), "subscribe"))) {
            HttpResponse<String> byB = hub.publish(token(B, new ECDSASigner(KEY_B), "publish"),
                    TestHub.form("topic", topic, "data", "from b", "private", "on"));
            assertThat(byB.statusCode()).as(byB.body()).isEqualTo(200);
            HttpResponse<String> byC = hub.publish(token(C, new RSASSASigner(KEY_C), "publish"),
                    TestHub.form("topic", topic, "data", "from c", "private", "on"));
            assertThat(byC.statusCode()).as(byC.body()).isEqualTo(200);
            for (SseStream s : List.of(fromA, fromC)) {
                assertThat(s.take(2)).extracting(SseEvent::data).containsExactly("from b", "from c");
            }
        }
    }

    @Test
    void aTokenNamingOneIssuerSignedWithAnothersKeyIsRefused() throws Exception {
        Map<String, String> forged = Map.of(
                "iss A, B's key", token(A, new ECDSASigner(KEY_B), "subscribe"),
                "iss B, A's secret", token(B, hmac(SECRET_A), "subscribe"),
                "iss C, A's secret", token(C, hmac(SECRET_A), "subscribe"),
                "iss A, the hub's own subscriber key", token(A, hmac(TestHub.SECRET), "subscribe"));
        for (Map.Entry<String, String> f : forged.entrySet()) {
            HttpResponse<String> res = hub.subscribeRefused("match=a", "Authorization", "Bearer " + f.getValue());
            assertThat(res.statusCode()).as(f.getKey()).isEqualTo(401);
            assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow()).as(f.getKey())
                    .startsWith("Bearer realm=\"mercure\", error=\"invalid_token\"");
        }
        HttpResponse<String> publish = hub.publish(token(B, hmac(SECRET_A), "publish"), TestHub.form("topic", "a"));
        assertThat(publish.statusCode()).isEqualTo(401);
        assertThat(publish.body()).contains("token uses HS256 but the hub expects ES256");
    }

    @Test
    void anUnknownOrMissingIssIsRefused() throws Exception {
        HttpResponse<String> unknown = hub.subscribeRefused("match=a", "Authorization",
                "Bearer " + token("https://evil.example", hmac(TestHub.SECRET), "subscribe"));
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.body()).contains("iss claim 'https://evil.example' is not an issuer this hub trusts"
                + " (https://a.example, https://b.example, https://c.example)");
        assertThat(unknown.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");

        HttpResponse<String> missing = hub.subscribeRefused("match=a", "Authorization",
                "Bearer " + token(null, hmac(SECRET_A), "subscribe"));
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.body()).contains("has no iss claim");
        assertThat(missing.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
    }

    @Test
    void zeroXTokensKeepTheRoleKeysAndNoIssuerKeyVerifiesThem() throws Exception {
        String topic = "https://example.com/zero-x/" + System.nanoTime();
        try (SseStream s = hub.subscribe("topic=" + q(topic), "Authorization", "Bearer " + TestHub.subscriber("*"))) {
            hub.publishOk("topic", topic, "data", "0.x", "private", "on");
            assertThat(s.next().data()).isEqualTo("0.x");
        }
        String signedByA = TokenIssuer.hmac(JwtAlgorithm.HS256, SECRET_A.getBytes(StandardCharsets.UTF_8),
                List.of(), List.of("*"), null, Clock.systemUTC(), A, List.of());
        HttpResponse<String> res = hub.subscribeRefused("topic=a", "Authorization", "Bearer " + signedByA);
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("signature does not verify");
    }

    @Test
    void withoutAnyIssuerAccessTokensAreRefusedWithTheOptionToSetAndZeroXTokensStillWork() throws Exception {
        try (TestHub bare = TestHub.start(b -> b.hubUrl(AccessTokens.HUB_URL))) {
            HttpResponse<String> res = bare.subscribeRefused("match=a", "Authorization",
                    "Bearer " + token(A, hmac(TestHub.SECRET), "subscribe"));
            assertThat(res.statusCode()).isEqualTo(401);
            assertThat(res.body()).contains("this hub trusts no issuer of Mercure 1.0 access tokens")
                    .contains("--trusted-issuer ISSUER=KEY").contains("--token-issuer");
            assertThat(res.headers().firstValue("WWW-Authenticate").orElseThrow())
                    .startsWith("Bearer realm=\"mercure\", error=\"invalid_token\", error_description=\"this hub"
                            + " trusts no issuer")
                    .contains("--trusted-issuer");
            try (SseStream s = bare.subscribe("topic=a", "Authorization", "Bearer " + TestHub.subscriber("*"))) {
                String id = bare.publishOk("topic", "a", "data", "x");
                assertThat(s.next().id()).isEqualTo(id);
            }
        }
    }

    @Test
    void theTokenIssuerIsBoundToThePublisherAndSubscriberKeys() throws Exception {
        String legacy = "https://legacy.example";
        try (TestHub hubWithTokenIssuer = TestHub.start(b -> b.hubUrl(AccessTokens.HUB_URL).tokenIssuer(legacy)
                .trustedIssuers(List.of(A + "=" + SECRET_A)))) {
            String topic = "https://example.com/legacy";
            try (SseStream s = hubWithTokenIssuer.subscribe("match=" + q(topic), "Authorization",
                    "Bearer " + token(legacy, hmac(TestHub.SECRET), "subscribe"))) {
                HttpResponse<String> byA = hubWithTokenIssuer.publish(token(A, hmac(SECRET_A), "publish"),
                        TestHub.form("topic", topic, "data", "a", "private", "on"));
                assertThat(byA.statusCode()).as(byA.body()).isEqualTo(200);
                assertThat(s.next().data()).isEqualTo("a");
            }
            HttpResponse<String> legacyWithAsKey = hubWithTokenIssuer.subscribeRefused("match=a", "Authorization",
                    "Bearer " + token(legacy, hmac(SECRET_A), "subscribe"));
            assertThat(legacyWithAsKey.statusCode()).isEqualTo(401);
            assertThat(legacyWithAsKey.body()).contains("signature does not verify with the configured subscriber key");
            HttpResponse<String> other = hubWithTokenIssuer.subscribeRefused("match=a", "Authorization",
                    "Bearer " + token("https://other.example", hmac(TestHub.SECRET), "subscribe"));
            assertThat(other.statusCode()).isEqualTo(401);
            assertThat(other.body()).contains("(https://a.example, https://legacy.example)");
        }
    }

    @Test
    void aKeyThatCannotBeReadStopsStartUpNamingTheIssuer() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestHub.start(b -> b.trustedIssuers(
                        List.of("https://bad.example=ES256:" + dir.resolve("missing.pem")))))
                .isInstanceOf(dev.sluice.config.ConfigException.class)
                .hasMessageStartingWith("--trusted-issuer: issuer 'https://bad.example': ");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestHub.start(b -> b.trustedIssuers(
                        List.of("https://short.example=too-short"))))
                .isInstanceOf(dev.sluice.config.ConfigException.class)
                .hasMessageStartingWith("--trusted-issuer: issuer 'https://short.example': ")
                .hasMessageNotContaining("too-short");
    }

    /** An access token of the issuer (none when null) granting the action on every topic. */
    static String token(String issuer, JWSSigner signer, String action) throws Exception {
        JWTClaimsSet.Builder claims = AccessTokens.claims(List.of(AccessTokens.detail(List.of(action),
                List.of(AccessTokens.match("*", null))))).issuer(issuer);
        JWSAlgorithm alg = signer instanceof MACSigner ? JWSAlgorithm.HS256
                : signer instanceof ECDSASigner ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
        JWSHeader.Builder header = new JWSHeader.Builder(alg).type(new JOSEObjectType("at+jwt"));
        if (signer instanceof RSASSASigner) {
            header.keyID(KEY_C.getKeyID());
        }
        SignedJWT jwt = new SignedJWT(header.build(), claims.build());
        jwt.sign(signer);
        return jwt.serialize();
    }

    static MACSigner hmac(String secret) throws Exception {
        return new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
    }

    static ECKey generateEc() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID("b-1").generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static RSAKey generateRsa() {
        try {
            return new RSAKeyGenerator(2048).keyID("c-1").generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
