package dev.sluice.auth;

import static dev.sluice.auth.TestTokens.pem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class JwtKeyTest {

    private static final KeyPair RSA = TestTokens.rsa(2048);
    private static final KeyPair P256 = TestTokens.ec("secp256r1");
    private static final KeyPair P384 = TestTokens.ec("secp384r1");

    @ParameterizedTest
    @CsvSource({
        "HS256, 31, 'HS256 secret is 31 bytes but must be at least 32 bytes (256 bits)'",
        "HS384, 47, 'HS384 secret is 47 bytes but must be at least 48 bytes (384 bits)'",
        "HS512, 63, 'HS512 secret is 63 bytes but must be at least 64 bytes (512 bits)'",
    })
    void refusesSecretsShorterThanTheAlgorithmNeeds(JwtAlgorithm alg, int length, String message) {
        assertThatThrownBy(() -> JwtKey.parse(alg, "x".repeat(length)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
        assertThat(JwtKey.parse(alg, "x".repeat(length + 1)).algorithm()).isEqualTo(alg);
    }

    @Test
    void measuresSecretsInUtf8Bytes() {
        // 16 two-byte characters are 32 bytes, enough for HS256
        assertThat(JwtKey.parse(JwtAlgorithm.HS256, "é".repeat(16)).algorithm()).isEqualTo(JwtAlgorithm.HS256);
    }

    static Stream<Arguments> badPublicKeys() {
        String garbage = Base64.getMimeEncoder().encodeToString("not a key at all".getBytes(StandardCharsets.UTF_8));
        return Stream.of(
                Arguments.of("plain text", "hello", "key for RS256 is not a PEM public key"),
                Arguments.of("missing file", "/no/such/key.pem", "key for RS256 is not a PEM public key"),
                Arguments.of("no END line", "-----BEGIN PUBLIC KEY-----\nMIIB\n", "no complete -----BEGIN"),
                Arguments.of("bad base64", "-----BEGIN PUBLIC KEY-----\n%%%\n-----END PUBLIC KEY-----", "bad base64"),
                Arguments.of("not DER", pem("PUBLIC KEY", "not a key at all".getBytes(StandardCharsets.UTF_8)),
                        "is not an RSA, EC or Ed25519 public key"),
                Arguments.of("private key", pem("PRIVATE KEY", RSA.getPrivate().getEncoded()),
                        "is a private key; configure the matching public key"),
                Arguments.of("PKCS#1", "-----BEGIN RSA PUBLIC KEY-----\n" + garbage + "\n-----END RSA PUBLIC KEY-----",
                        "is a PKCS#1 RSA PUBLIC KEY"),
                Arguments.of("other PEM type", "-----BEGIN X509 CRL-----\n" + garbage + "\n-----END X509 CRL-----",
                        "found X509 CRL, expected PUBLIC KEY or CERTIFICATE"),
                Arguments.of("bad certificate", pem("CERTIFICATE", "junk".getBytes(StandardCharsets.UTF_8)),
                        "is not a valid X.509 certificate"),
                Arguments.of("EC key for RS256", pem(P256.getPublic()),
                        "key is an EC public key but RS256 needs an RSA public key"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPublicKeys")
    void explainsWhatIsWrongWithAPublicKey(String description, String key, String message) {
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.RS256, key))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource({
        "ES256, secp384r1, 'EC key is P-384 but ES256 needs P-256'",
        "ES384, secp256r1, 'EC key is P-256 but ES384 needs P-384'",
        "ES512, secp256r1, 'EC key is P-256 but ES512 needs P-521'",
    })
    void refusesAnEcKeyOnTheWrongCurve(JwtAlgorithm alg, String curve, String message) {
        String key = pem(curve.equals("secp256r1") ? P256.getPublic() : P384.getPublic());
        assertThatThrownBy(() -> JwtKey.parse(alg, key))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void refusesAnRsaKeyForEs256() {
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.ES256, pem(RSA.getPublic())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key is an RSA public key but ES256 needs an EC public key");
    }

    @Test
    void refusesRsaKeysShorterThan2048Bits() {
        String weak = pem(TestTokens.rsa(1024).getPublic());
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.RS256, weak))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("RSA key is 1024 bits but RS256 needs at least 2048");
    }

    @Test
    void readsThePemFromAFileWhenGivenAPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("publisher.pem");
        Files.writeString(file, pem(P256.getPublic()));

        JwtKey key = JwtKey.parse(JwtAlgorithm.ES256, file.toString());

        assertThat(key.algorithm()).isEqualTo(JwtAlgorithm.ES256);
        assertThat(key.toString()).isEqualTo("JwtKey[ES256, EC public key]");
    }

    @Test
    void namesTheFileWhenItsContentIsNotAKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("notes.txt");
        Files.writeString(file, "just some notes");

        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.ES256, file.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("key file " + file + " is not a PEM public key");
    }

    @Test
    void acceptsAPemWhoseLineBreaksWereEscapedInAnEnvironmentVariable() {
        String escaped = pem(RSA.getPublic()).replace("\n", "\\n");

        assertThat(JwtKey.parse(JwtAlgorithm.RS256, escaped).algorithm()).isEqualTo(JwtAlgorithm.RS256);
    }

    @Test
    void neverShowsTheSecret() {
        String secret = "a-very-secret-value-that-is-long-enough";
        JwtKey key = JwtKey.parse(JwtAlgorithm.HS256, secret);

        assertThat(key.toString()).doesNotContain(secret).isEqualTo("JwtKey[HS256, shared secret of 39 bytes]");
    }

    @Test
    void refusesToMixSecretsAndPublicKeys() {
        assertThatThrownBy(() -> JwtKey.hmac(JwtAlgorithm.RS256, TestTokens.SECRET_32))
                .hasMessage("RS256 needs a public key, not a shared secret");
        assertThatThrownBy(() -> JwtKey.publicKey(JwtAlgorithm.HS256, RSA.getPublic()))
                .hasMessage("HS256 needs a shared secret, not a public key");
    }
}
