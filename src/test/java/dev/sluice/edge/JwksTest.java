package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.support.TestHub;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code --publisher-jwks-url}: keys from a JSON Web Key Set served over HTTP, rotated and taken down. */
class JwksTest {

    static final RSAKey RS = rsa("rs-1");
    static final RSAKey RS_NEXT = rsa("rs-2");
    static final ECKey P256 = ec(Curve.P_256, "ec-256");
    static final ECKey P384 = ec(Curve.P_384, "ec-384");
    static final ECKey P521 = ec(Curve.P_521, "ec-521");
    static final OctetSequenceKey HMAC = hmac("hs-1");
    static final OctetKeyPair ED = ed25519("ed-1");

    final AtomicReference<String> served = new AtomicReference<>();
    final AtomicInteger fetches = new AtomicInteger();
    HttpServer jwks;
    TestHub hub;

    static RSAKey rsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static ECKey ec(Curve curve, String kid) {
        try {
            return new ECKeyGenerator(curve).keyID(kid).generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static OctetKeyPair ed25519(String kid) {
        try {
            return new OctetKeyPairGenerator(Curve.Ed25519).keyID(kid).generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static OctetSequenceKey hmac(String kid) {
        try {
            return new OctetSequenceKeyGenerator(512).keyID(kid).generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    void serve(JWK... keys) {
        // HMAC keys are secret, so toPublicJWKSet would drop them: a hub that verifies HS* from a
        // JWKS reads them from a private key set.
        served.set(new JWKSet(List.of(keys)).toString(false));
    }

    @BeforeEach
    void start() throws Exception {
        serve(RS.toPublicJWK(), P256.toPublicJWK(), P384.toPublicJWK(), P521.toPublicJWK(), HMAC, ED.toPublicJWK());
        jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwks.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        jwks.start();
        String url = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json";
        hub = TestHub.start(b -> b.publisherJwt(null, "HS256").publisherJwksUrl(url).jwksCacheTtl(Duration.ofSeconds(4)));
    }

    @AfterEach
    void stop() {
        hub.close();
        jwks.stop(0);
    }

    static String token(JWSAlgorithm alg, String kid, JWSSigner signer) throws Exception {
        // A fresh jti each time: the hub remembers verified tokens, and these tests mean new ones.
        JWTClaimsSet claims = new JWTClaimsSet.Builder().jwtID(java.util.UUID.randomUUID().toString())
                .claim("mercure", Map.of("publish", List.of("*"), "subscribe", List.of("*"))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    HttpResponse<String> publish(String token) throws Exception {
        return hub.publish(token, TestHub.form("topic", "a", "data", "x"));
    }

    @Test
    void tokensOfEverySupportedAlgorithmVerifyWithTheirKey() throws Exception {
        for (JWSAlgorithm alg : List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512)) {
            assertThat(publish(token(alg, "rs-1", new RSASSASigner(RS))).statusCode()).as(alg.getName()).isEqualTo(200);
        }
        assertThat(publish(token(JWSAlgorithm.ES256, "ec-256", new ECDSASigner(P256))).statusCode()).isEqualTo(200);
        assertThat(publish(token(JWSAlgorithm.ES384, "ec-384", new ECDSASigner(P384))).statusCode()).isEqualTo(200);
        assertThat(publish(token(JWSAlgorithm.ES512, "ec-521", new ECDSASigner(P521))).statusCode()).isEqualTo(200);
        for (JWSAlgorithm alg : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512)) {
            assertThat(publish(token(alg, "hs-1", new MACSigner(HMAC))).statusCode()).as(alg.getName()).isEqualTo(200);
        }
        assertThat(publish(token(JWSAlgorithm.EdDSA, "ed-1", new Ed25519Signer(ED))).statusCode()).isEqualTo(200);
        assertThat(publish(token(JWSAlgorithm.EdDSA, null, new Ed25519Signer(ED))).statusCode())
                .as("EdDSA without kid").isEqualTo(200);
        assertThat(publish(token(JWSAlgorithm.RS256, null, new RSASSASigner(RS))).statusCode())
                .as("without kid, every key of the right type is tried").isEqualTo(200);
        HttpResponse<String> stranger = publish(token(JWSAlgorithm.EdDSA, "ed-1", new Ed25519Signer(ed25519("ed-1"))));
        assertThat(stranger.statusCode()).isEqualTo(401);
        assertThat(stranger.body()).contains("signature does not verify with the keys of the publisher JWKS");
    }

    @Test
    void subscribersUseThePublisherKeySetWhenTheyHaveNoneOfTheirOwn() throws Exception {
        String token = token(JWSAlgorithm.ES256, "ec-256", new ECDSASigner(P256));
        try (var s = hub.subscribe("topic=a", "Cookie", "mercureAuthorization=" + token)) {
            assertThat(s.response.statusCode()).isEqualTo(200);
        }
        HttpResponse<String> refused = hub.subscribeRefused("topic=a",
                "Authorization", "Bearer " + token(JWSAlgorithm.ES256, "ec-256", new ECDSASigner(ec(Curve.P_256, "x"))));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("Invalid subscriber token: signature does not verify with the keys of the"
                + " subscriber JWKS");
    }

    @Test
    void aKeyOfAnotherTypeOrAnUnknownKidIsRefused() throws Exception {
        // An HMAC token keyed with the RSA key's public JSON, naming the RSA key: the HS256 selection only
        // looks at oct keys, so the RSA key is never used as a secret.
        byte[] publicJson = RS.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> confused = publish(token(JWSAlgorithm.HS256, "rs-1", new MACSigner(publicJson)));
        assertThat(confused.statusCode()).isEqualTo(401);
        assertThat(confused.body()).contains("no key in the keys of the publisher JWKS suits HS256 with kid 'rs-1'");
        assertThat(confused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer realm=\"mercure\", error=\"invalid_token\""));

        HttpResponse<String> unknown = publish(token(JWSAlgorithm.RS256, "nobody", new RSASSASigner(RS)));
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.body()).contains("no key in the keys of the publisher JWKS suits RS256 with kid 'nobody'");

        // An Ed25519 key is never used for another algorithm, nor another key for EdDSA.
        HttpResponse<String> edAsRsa = publish(token(JWSAlgorithm.EdDSA, "rs-1", new Ed25519Signer(ED)));
        assertThat(edAsRsa.statusCode()).isEqualTo(401);
        assertThat(edAsRsa.body()).contains("no key in the keys of the publisher JWKS suits EdDSA with kid 'rs-1'");
        HttpResponse<String> rsaAsEd = publish(token(JWSAlgorithm.RS256, "ed-1", new RSASSASigner(RS)));
        assertThat(rsaAsEd.statusCode()).isEqualTo(401);
        assertThat(rsaAsEd.body()).contains("no key in the keys of the publisher JWKS suits RS256 with kid 'ed-1'");
        byte[] edPublic = ED.getX().decode();
        byte[] edAsSecret = new byte[64];
        System.arraycopy(edPublic, 0, edAsSecret, 0, 32);
        System.arraycopy(edPublic, 0, edAsSecret, 32, 32);
        for (JWSAlgorithm hs : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS512)) {
            HttpResponse<String> hmacWithEd = publish(token(hs, "ed-1", new MACSigner(edAsSecret)));
            assertThat(hmacWithEd.statusCode()).isEqualTo(401);
            assertThat(hmacWithEd.body()).contains("no key in the keys of the publisher JWKS suits " + hs.getName()
                    + " with kid 'ed-1'");
        }

        HttpResponse<String> ps = publish(token(JWSAlgorithm.PS256, "rs-1", new RSASSASigner(RS)));
        assertThat(ps.statusCode()).isEqualTo(401);
        assertThat(ps.body()).contains("token uses PS256, which the hub does not accept");
    }

    @Test
    void aRotatedKeyIsFetchedWhenATokenNamesIt() throws Exception {
        assertThat(publish(token(JWSAlgorithm.RS256, "rs-1", new RSASSASigner(RS))).statusCode()).isEqualTo(200);
        serve(RS_NEXT.toPublicJWK());
        String next = token(JWSAlgorithm.RS256, "rs-2", new RSASSASigner(RS_NEXT));
        // The unknown kid makes the hub fetch the set again, as soon as the rate limit lets it.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> publish(next).statusCode() == 200);
        // The old key left the set: a new token signed with it is refused.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> publish(token(JWSAlgorithm.RS256, "rs-1", new RSASSASigner(RS))).statusCode() == 401);
    }

    @Test
    void unknownKidsDoNotMakeAFetchEach() throws Exception {
        assertThat(publish(token(JWSAlgorithm.RS256, "rs-1", new RSASSASigner(RS))).statusCode()).isEqualTo(200);
        int before = fetches.get();
        int tokens = 40;
        for (int i = 0; i < tokens; i++) {
            assertThat(publish(token(JWSAlgorithm.RS256, "unknown-" + i, new RSASSASigner(RS))).statusCode())
                    .isEqualTo(401);
        }
        assertThat(fetches.get() - before).as("fetches for %d unknown kids", tokens).isLessThan(tokens / 2);
    }

    @Test
    void theLastGoodKeysAreKeptWhileTheKeySetIsDown() throws Exception {
        assertThat(publish(token(JWSAlgorithm.ES384, "ec-384", new ECDSASigner(P384))).statusCode()).isEqualTo(200);
        jwks.stop(0);
        // Let the cache lifetime (4s) pass, so that the keys must come from the outage store.
        Thread.sleep(4_500);
        // A token never seen before (fresh jti), so it is verified now, with the keys kept through the outage.
        assertThat(publish(token(JWSAlgorithm.ES384, "ec-384", new ECDSASigner(P384))).statusCode()).isEqualTo(200);
        HttpResponse<String> stranger = publish(token(JWSAlgorithm.ES384, "ec-384", new ECDSASigner(ec(Curve.P_384, "s"))));
        assertThat(stranger.statusCode()).isEqualTo(401);
        assertThat(stranger.body()).contains("signature does not verify with the keys of the publisher JWKS");
    }
}
