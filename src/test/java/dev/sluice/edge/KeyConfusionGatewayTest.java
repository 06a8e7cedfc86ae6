package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.sluice.support.TestHub;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A hub configured with an RS256 public key refuses tokens that try another key or algorithm. */
class KeyConfusionGatewayTest {

    static KeyPair rsa;
    static String publicPem;
    static TestHub hub;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        rsa = generator.generateKeyPair();
        publicPem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(rsa.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        hub = TestHub.start(b -> b.publisherJwt(publicPem, "RS256"));
    }

    @AfterAll
    static void stop() {
        hub.close();
    }

    static String token(JWSHeader header, JWSSigner signer) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .claim("mercure", Map.of("publish", List.of("*"), "subscribe", List.of("*"))).build();
        SignedJWT jwt = new SignedJWT(header, claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<String> publish(String token) throws Exception {
        return hub.publish(token, TestHub.form("topic", "a", "data", "x"));
    }

    @Test
    void aTokenSignedWithThePrivateKeyIsAccepted() throws Exception {
        String good = token(new JWSHeader(JWSAlgorithm.RS256), new RSASSASigner(rsa.getPrivate()));
        assertThat(publish(good).statusCode()).isEqualTo(200);
    }

    @Test
    void hs256SignedWithThePublicKeyPemIsRefused() throws Exception {
        String forged = token(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                new MACSigner(publicPem.getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> pub = publish(forged);
        assertThat(pub.statusCode()).isEqualTo(401);
        assertThat(pub.body()).isEqualTo("Invalid publisher token: token uses HS256 but the hub expects RS256\n");
        assertThat(pub.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer realm=\"mercure\", error=\"invalid_token\""));

        HttpResponse<String> sub = hub.subscribeRefused("topic=a", "Authorization", "Bearer " + forged);
        assertThat(sub.statusCode()).isEqualTo(401);
        assertThat(sub.body()).contains("Invalid subscriber token: token uses HS256 but the hub expects RS256");
    }

    @Test
    void algNoneIsRefusedInEverySpelling() throws Exception {
        for (String spelling : List.of("none", "None", "NONE", "nOnE")) {
            String unsigned = b64("{\"alg\":\"" + spelling + "\"}") + "."
                    + b64("{\"mercure\":{\"publish\":[\"*\"],\"subscribe\":[\"*\"]}}");
            for (String token : List.of(unsigned + ".", unsigned, unsigned + "." + b64("sig"))) {
                HttpResponse<String> pub = publish(token);
                assertThat(pub.statusCode()).as(token).isEqualTo(401);
                assertThat(pub.body()).as(token).contains("algorithm none is not accepted");
                HttpResponse<String> sub = hub.subscribeRefused("topic=a", "Cookie", "mercureAuthorization=" + token);
                assertThat(sub.statusCode()).as(token).isEqualTo(401);
                assertThat(sub.body()).as(token).contains("algorithm none is not accepted");
            }
        }
    }

    @Test
    void kidOfAnotherKeyTypeAndUnknownCritAreRefused() throws Exception {
        String withKid = token(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("hmac").build(),
                new MACSigner(publicPem.getBytes(StandardCharsets.UTF_8)));
        assertThat(publish(withKid).body()).contains("token uses HS256 but the hub expects RS256");

        String withCrit = token(new JWSHeader.Builder(JWSAlgorithm.RS256).criticalParams(Set.of("x-hub"))
                .customParam("x-hub", true).build(), new RSASSASigner(rsa.getPrivate()));
        HttpResponse<String> res = publish(withCrit);
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.body()).contains("critical header parameters the hub does not support: [x-hub]");
    }
}
