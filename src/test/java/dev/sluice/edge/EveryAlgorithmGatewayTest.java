package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.auth.JwtAlgorithm;
import dev.sluice.support.SseEvent;
import dev.sluice.support.SseStream;
import dev.sluice.support.TestHub;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every accepted algorithm with a configured key ({@code --publisher-jwt-key} and
 * {@code --publisher-jwt-alg}), over HTTP: a token signed with the key publishes and reads a
 * private update, one signed with another key of the same kind is refused. (The key set path is
 * in JwksTest.)
 */
class EveryAlgorithmGatewayTest {

    static final String SECRET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

    /** A key as the option takes it, a signer with its private part, and one with another key. */
    record Keys(String option, JWSSigner signer, JWSSigner stranger) {}

    static String pem(byte[] der) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    }

    static Keys keys(JwtAlgorithm alg) throws Exception {
        String name = alg.name();
        if (name.startsWith("HS")) {
            return new Keys(SECRET, new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)),
                    new MACSigner(new StringBuilder(SECRET).reverse().toString().getBytes(StandardCharsets.UTF_8)));
        }
        if (name.startsWith("RS")) {
            RSAKey key = new RSAKeyGenerator(2048).generate();
            return new Keys(pem(key.toPublicKey().getEncoded()), new RSASSASigner(key),
                    new RSASSASigner(new RSAKeyGenerator(2048).generate()));
        }
        if (name.startsWith("ES")) {
            Curve curve = switch (alg) {
                case ES256 -> Curve.P_256;
                case ES384 -> Curve.P_384;
                default -> Curve.P_521;
            };
            ECKey key = new ECKeyGenerator(curve).generate();
            return new Keys(pem(key.toPublicKey().getEncoded()), new ECDSASigner(key),
                    new ECDSASigner(new ECKeyGenerator(curve).generate()));
        }
        OctetKeyPair key = new OctetKeyPairGenerator(Curve.Ed25519).generate();
        byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
        byte[] der = new byte[44];
        System.arraycopy(prefix, 0, der, 0, 12);
        System.arraycopy(key.getX().decode(), 0, der, 12, 32);
        return new Keys(pem(der), new Ed25519Signer(key),
                new Ed25519Signer(new OctetKeyPairGenerator(Curve.Ed25519).generate()));
    }

    static String token(JwtAlgorithm alg, JWSSigner signer, List<String> publish, List<String> subscribe)
            throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .claim("mercure", Map.of("publish", publish, "subscribe", subscribe)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.parse(alg.name())), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    @ParameterizedTest
    @EnumSource(JwtAlgorithm.class)
    void aTokenOfTheConfiguredAlgorithmAndKeyIsAcceptedAndNoOther(JwtAlgorithm alg) throws Exception {
        Keys keys = keys(alg);
        try (TestHub hub = TestHub.start(b -> b.publisherJwt(keys.option(), alg.name()))) {
            String subscriber = token(alg, keys.signer(), List.of(), List.of("private/{id}"));
            try (SseStream stream = hub.subscribe("topic=private/1", "Authorization", "Bearer " + subscriber)) {
                HttpResponse<String> ok = hub.publish(token(alg, keys.signer(), List.of("*"), List.of()),
                        TestHub.form("topic", "private/1", "data", "signed with " + alg, "private", "on"));
                assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
                SseEvent event = stream.next();
                assertThat(event.data()).isEqualTo("signed with " + alg);
                assertThat(event.id()).isEqualTo(ok.body());
            }
            HttpResponse<String> stranger = hub.publish(token(alg, keys.stranger(), List.of("*"), List.of()),
                    TestHub.form("topic", "a", "data", "x"));
            assertThat(stranger.statusCode()).isEqualTo(401);
            assertThat(stranger.body()).contains("signature does not verify with the configured publisher key");
        }
    }
}
