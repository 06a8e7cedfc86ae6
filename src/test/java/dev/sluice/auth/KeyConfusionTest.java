package dev.sluice.auth;

import static dev.sluice.auth.TestTokens.b64;
import static dev.sluice.auth.TestTokens.pem;
import static dev.sluice.auth.TestTokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.RSAKey;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tokens that try to make the hub check a signature with the wrong key or algorithm, or with none:
 * each is refused, and the refusal says why.
 */
class KeyConfusionTest {

    private static final KeyPair RSA = TestTokens.rsa(2048);
    private static final KeyPair ATTACKER_RSA = TestTokens.rsa(2048);
    private static final KeyPair P256 = TestTokens.ec("secp256r1");
    private static final String RSA_PEM = pem(RSA.getPublic());
    private static final String CLAIMS = "{\"mercure\":{\"publish\":[\"*\"],\"subscribe\":[\"*\"]}}";

    private static TokenVerifier rs256() {
        return new TokenVerifier("publisher", JwtKey.parse(JwtAlgorithm.RS256, RSA_PEM), Duration.ofSeconds(5),
                Clock.systemUTC());
    }

    private static TokenVerifier hs256() {
        return new TokenVerifier("publisher", JwtKey.hmac(JwtAlgorithm.HS256, TestTokens.SECRET_32),
                Duration.ofSeconds(5), Clock.systemUTC());
    }

    /** The classic confusion: the public key, as the text the operator configured, used as an HMAC secret. */
    static Stream<Arguments> hmacWithThePublicKey() {
        byte[] pemText = RSA_PEM.getBytes(StandardCharsets.UTF_8);
        byte[] pemStripped = RSA_PEM.strip().getBytes(StandardCharsets.UTF_8);
        byte[] der = RSA.getPublic().getEncoded();
        List<Arguments> cases = new ArrayList<>();
        for (JwtAlgorithm alg : List.of(JwtAlgorithm.HS256, JwtAlgorithm.HS384, JwtAlgorithm.HS512)) {
            cases.add(Arguments.of(alg + " with the PEM text", sign(alg, pemText, CLAIMS), alg));
            cases.add(Arguments.of(alg + " with the stripped PEM text", sign(alg, pemStripped, CLAIMS), alg));
            cases.add(Arguments.of(alg + " with the DER bytes", sign(alg, der, CLAIMS), alg));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hmacWithThePublicKey")
    void hmacTokenSignedWithTheRsaPublicKeyIsRefused(String description, String token, JwtAlgorithm alg) {
        assertThatThrownBy(() -> rs256().verify(token)).isInstanceOf(AuthException.class)
                .hasMessage("token uses " + alg + " but the hub expects RS256");
    }

    static Stream<Arguments> algNone() {
        List<Arguments> cases = new ArrayList<>();
        for (String spelling : List.of("none", "None", "NONE", "nOnE")) {
            String unsigned = b64("{\"alg\":\"" + spelling + "\",\"typ\":\"JWT\"}") + "." + b64(CLAIMS);
            cases.add(Arguments.of(spelling + ", empty signature", unsigned + "."));
            cases.add(Arguments.of(spelling + ", no signature part", unsigned));
            cases.add(Arguments.of(spelling + ", with a signature", unsigned + "." + b64("forged-signature")));
            // A real signature over the same input: a verifier that looked at the key, not at alg, would take it.
            String signed = sign(JwtAlgorithm.HS256, TestTokens.SECRET_32, CLAIMS);
            cases.add(Arguments.of(spelling + ", with a valid HS256 signature",
                    unsigned + "." + signed.substring(signed.lastIndexOf('.') + 1)));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("algNone")
    void algNoneIsRefusedInEverySpelling(String description, String token) {
        for (TokenVerifier verifier : List.of(rs256(), hs256())) {
            assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthException.class)
                    .hasMessage("algorithm none is not accepted");
        }
    }

    @Test
    void kidNamingAKeyOfAnotherTypeDoesNotChooseTheKey() {
        // The hub has one key per role and never looks a key up by kid: a kid naming an HMAC key does
        // not make an RS256 hub check HMAC, and one naming an RSA key does not help an EC-signed token.
        String hmacWithKid = sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("hmac-key").build(),
                RSA_PEM.getBytes(StandardCharsets.UTF_8), CLAIMS);
        assertThatThrownBy(() -> rs256().verify(hmacWithKid)).isInstanceOf(AuthException.class)
                .hasMessage("token uses HS256 but the hub expects RS256");

        String ecWithRsaKid = sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("rsa-key").build(),
                P256.getPrivate(), CLAIMS);
        assertThatThrownBy(() -> rs256().verify(ecWithRsaKid)).isInstanceOf(AuthException.class)
                .hasMessage("token uses ES256 but the hub expects RS256");

        String rsaWithHmacKid = sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("hmac-key").build(),
                RSA.getPrivate(), CLAIMS);
        assertThatThrownBy(() -> hs256().verify(rsaWithHmacKid)).isInstanceOf(AuthException.class)
                .hasMessage("token uses RS256 but the hub expects HS256");
    }

    @Test
    void kidIsNotNeededWhenAlgorithmAndKeyAreRight() throws AuthException {
        // The other side of the test above: the kid is ignored, not refused, so these tokens fail
        // for their key or algorithm alone.
        String rightKeyAnyKid = sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("hmac-key").build(),
                RSA.getPrivate(), CLAIMS);
        assertThat(rs256().verify(rightKeyAnyKid).publish()).containsExactly("*");
    }

    @Test
    void aKeyEmbeddedInTheHeaderIsNotTrusted() throws Exception {
        RSAKey attackerJwk = new RSAKey.Builder((RSAPublicKey) ATTACKER_RSA.getPublic()).keyID("attacker").build();
        String token = sign(new JWSHeader.Builder(JWSAlgorithm.RS256).jwk(attackerJwk).keyID("attacker").build(),
                ATTACKER_RSA.getPrivate(), CLAIMS);
        assertThatThrownBy(() -> rs256().verify(token)).isInstanceOf(AuthException.class)
                .hasMessage("signature does not verify with the configured publisher key");
    }

    static Stream<Arguments> criticalHeaders() {
        return Stream.of(
                Arguments.of("unknown extension", Set.of("x-hub"), "[x-hub]"),
                Arguments.of("exp as a header", Set.of("exp"), "[exp]"),
                Arguments.of("b64, which would change what is signed", Set.of("b64"), "[b64]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("criticalHeaders")
    void unknownCritIsRefusedEvenWhenTheSignatureIsGood(String description, Set<String> crit, String named) {
        JWSHeader.Builder header = new JWSHeader.Builder(JWSAlgorithm.RS256).criticalParams(crit);
        for (String name : crit) {
            if (!name.equals("b64")) {
                header.customParam(name, "x");
            }
        }
        String token = sign(header.build(), RSA.getPrivate(), CLAIMS);
        assertThatThrownBy(() -> rs256().verify(token)).isInstanceOf(AuthException.class)
                .hasMessage("token has critical header parameters the hub does not support: " + named);
    }

    @Test
    void critNamedByHandIsRefusedBeforeTheSignatureIsLookedAt() {
        String token = b64("{\"alg\":\"RS256\",\"crit\":[\"x-hub\"],\"x-hub\":1}") + "." + b64(CLAIMS) + "."
                + b64("not-a-signature");
        assertThatThrownBy(() -> rs256().verify(token)).isInstanceOf(AuthException.class)
                .hasMessage("token has critical header parameters the hub does not support: [x-hub]");
    }
}
