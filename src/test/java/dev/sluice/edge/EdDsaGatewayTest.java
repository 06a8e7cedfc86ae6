package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hub configured with an Ed25519 PEM public key ({@code --publisher-jwt-alg EdDSA}): EdDSA
 * tokens publish and subscribe to private updates over HTTP; HMAC tokens keyed with that public
 * key are refused.
 */
class EdDsaGatewayTest {

    static final OctetKeyPair ED = generate();
    static String publicPem;
    static TestHub hub;

    static OctetKeyPair generate() {
        try {
            return new OctetKeyPairGenerator(Curve.Ed25519).generate();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        // The X.509 SubjectPublicKeyInfo of an Ed25519 key: a fixed prefix (RFC 8410), then the raw key.
        byte[] raw = ED.getX().decode();
        byte[] der = new byte[44];
        byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
        System.arraycopy(prefix, 0, der, 0, 12);
        System.arraycopy(raw, 0, der, 12, 32);
        PublicKey jdk = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        assertThat(jdk.getAlgorithm()).isIn("EdDSA", "Ed25519");
        publicPem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END PUBLIC KEY-----\n";
        hub = TestHub.start(b -> b.publisherJwt(publicPem, "EdDSA"));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static String token(JWSAlgorithm alg, JWSSigner signer, List<String> publish, List<String> subscribe)
            throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().jwtID(java.util.UUID.randomUUID().toString())
                .claim("mercure", Map.of("publish", publish, "subscribe", subscribe)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    @Test
    void eddsaTokensPublishAndReadPrivateUpdates() throws Exception {
        String subscriber = token(JWSAlgorithm.EdDSA, new Ed25519Signer(ED), List.of(), List.of("secret/{id}"));
        try (SseStream s = hub.subscribe("topic=secret/1", "Authorization", "Bearer " + subscriber)) {
            HttpResponse<String> published = hub.publish(token(JWSAlgorithm.EdDSA, new Ed25519Signer(ED),
                    List.of("*"), List.of()), TestHub.form("topic", "secret/1", "data", "for eddsa", "private", "on"));
            assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
            SseEvent e = s.next();
            assertThat(e.data()).isEqualTo("for eddsa");
            assertThat(e.id()).isEqualTo(published.body());
        }
    }

    @Test
    void hmacKeyedWithThePublicKeyIsRefused() throws Exception {
        byte[] pemBytes = publicPem.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> res = hub.publish(token(JWSAlgorithm.HS256, new MACSigner(pemBytes), List.of("*"),
                List.of()), TestHub.form("topic", "a", "data", "x"));
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("Invalid publisher token: token uses HS256 but the hub expects EdDSA");
        HttpResponse<String> other = hub.publish(token(JWSAlgorithm.EdDSA, new Ed25519Signer(generate()),
                List.of("*"), List.of()), TestHub.form("topic", "a", "data", "x"));
        assertThat(other.statusCode()).isEqualTo(401);
        assertThat(other.body()).contains("signature does not verify with the configured publisher key");
    }
}
