package dev.sluice.auth;

import static dev.sluice.auth.TestTokens.b64;
import static dev.sluice.auth.TestTokens.pem;
import static dev.sluice.auth.TestTokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EdDSA (Ed25519) tokens with a configured PEM public key: accepted when signed with its private
 * key, and no other key or algorithm can be passed off as it, nor it as another.
 */
class EdDsaTest {

    private static final KeyPair ED = TestTokens.ed25519();
    private static final KeyPair OTHER_ED = TestTokens.ed25519();
    private static final KeyPair RSA = TestTokens.rsa(2048);
    private static final String ED_PEM = pem(ED.getPublic());
    private static final String CLAIMS = "{\"mercure\":{\"publish\":[\"*\"],\"subscribe\":[\"*\"]}}";

    private static TokenVerifier eddsa() {
        return new TokenVerifier("publisher", JwtKey.parse(JwtAlgorithm.EdDSA, ED_PEM), Duration.ofSeconds(5),
                Clock.systemUTC());
    }

    @Test
    void aTokenSignedWithThePrivateKeyIsAccepted() throws AuthException {
        MercureClaims claims = eddsa().verify(sign(JwtAlgorithm.EdDSA, TestTokens.okp(ED), CLAIMS));
        assertThat(claims.publish()).containsExactly("*");
    }

    @Test
    void aTokenSignedWithAnotherEd25519KeyIsRefused() {
        assertThatThrownBy(() -> eddsa().verify(sign(JwtAlgorithm.EdDSA, TestTokens.okp(OTHER_ED), CLAIMS)))
                .isInstanceOf(AuthException.class)
                .hasMessage("signature does not verify with the configured publisher key");
    }

    /** Every other algorithm, including HMAC keyed with the Ed25519 public key in each of its forms. */
    static Stream<Arguments> otherAlgorithms() {
        byte[] pemText = ED_PEM.getBytes(StandardCharsets.UTF_8);
        byte[] der = ED.getPublic().getEncoded();
        byte[] raw = TestTokens.okp(ED).getX().decode();
        List<Arguments> cases = new ArrayList<>();
        for (JwtAlgorithm alg : List.of(JwtAlgorithm.HS256, JwtAlgorithm.HS384, JwtAlgorithm.HS512)) {
            // An HMAC key must be as long as the hash: the shorter forms are repeated to reach it.
            cases.add(Arguments.of(alg + " keyed with the PEM text", sign(alg, pemText, CLAIMS), alg));
            cases.add(Arguments.of(alg + " keyed with the DER bytes", sign(alg, repeat(der, 2), CLAIMS), alg));
            cases.add(Arguments.of(alg + " keyed with the raw key", sign(alg, repeat(raw, 2), CLAIMS), alg));
        }
        cases.add(Arguments.of("RS256", sign(JwtAlgorithm.RS256, RSA.getPrivate(), CLAIMS), JwtAlgorithm.RS256));
        cases.add(Arguments.of("ES256", sign(JwtAlgorithm.ES256, TestTokens.ec("secp256r1").getPrivate(), CLAIMS),
                JwtAlgorithm.ES256));
        return cases.stream();
    }

    private static byte[] repeat(byte[] bytes, int times) {
        byte[] out = new byte[bytes.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(bytes, 0, out, i * bytes.length, bytes.length);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("otherAlgorithms")
    void anEd25519KeyNeverAcceptsAnotherAlgorithm(String description, String token, JwtAlgorithm alg) {
        assertThatThrownBy(() -> eddsa().verify(token)).isInstanceOf(AuthException.class)
                .hasMessage("token uses " + alg + " but the hub expects EdDSA");
    }

    @Test
    void anEdDsaTokenIsRefusedByHubsOfOtherAlgorithms() {
        String token = sign(JwtAlgorithm.EdDSA, TestTokens.okp(ED), CLAIMS);
        TokenVerifier rs = new TokenVerifier(null, JwtKey.parse(JwtAlgorithm.RS256, pem(RSA.getPublic())),
                Duration.ZERO, Clock.systemUTC());
        TokenVerifier hs = new TokenVerifier(null, JwtKey.hmac(JwtAlgorithm.HS256, TestTokens.SECRET_32),
                Duration.ZERO, Clock.systemUTC());
        assertThatThrownBy(() -> rs.verify(token)).hasMessage("token uses EdDSA but the hub expects RS256");
        assertThatThrownBy(() -> hs.verify(token)).hasMessage("token uses EdDSA but the hub expects HS256");
    }

    @Test
    void keysOfTheWrongTypeAreRefusedAtStart() {
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.EdDSA, pem(RSA.getPublic())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key is an RSA public key but EdDSA needs an Ed25519 public key");
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.RS256, ED_PEM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key is an Ed25519 public key but RS256 needs an RSA public key");
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.ES256, ED_PEM))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key is an Ed25519 public key but ES256 needs an EC public key");
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.EdDSA, "a shared secret of enough bytes, 0123456789"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key for EdDSA is not a PEM public key");
    }

    @Test
    void aSignatureMadeForOtherBytesDoesNotVerify() {
        String good = sign(JwtAlgorithm.EdDSA, TestTokens.okp(ED), CLAIMS);
        String forged = b64("{\"alg\":\"EdDSA\"}") + "." + b64("{\"mercure\":{\"publish\":[\"secret\"]}}")
                + good.substring(good.lastIndexOf('.'));
        assertThatThrownBy(() -> eddsa().verify(forged)).hasMessage("signature does not verify with the configured"
                + " publisher key");
    }

    @Test
    void anUnknownCritHeaderIsRefused() {
        String token = sign(new JWSHeader.Builder(JWSAlgorithm.EdDSA)
                .criticalParams(java.util.Set.of("exp-hint")).customParam("exp-hint", 1).build(),
                TestTokens.okp(ED), CLAIMS);
        assertThatThrownBy(() -> eddsa().verify(token))
                .hasMessage("token has critical header parameters the hub does not support: [exp-hint]");
    }
}
