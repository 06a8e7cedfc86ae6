package dev.sluice.auth;

import static dev.sluice.auth.TestTokens.SECRET_32;
import static dev.sluice.auth.TestTokens.SECRET_64;
import static dev.sluice.auth.TestTokens.b64;
import static dev.sluice.auth.TestTokens.pem;
import static dev.sluice.auth.TestTokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectEncrypter;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class TokenVerifierTest {

    private static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final long NOW_S = NOW.getEpochSecond();

    private static final KeyPair RSA = TestTokens.rsa(2048);
    private static final KeyPair OTHER_RSA = TestTokens.rsa(2048);
    private static final KeyPair P256 = TestTokens.ec("secp256r1");
    private static final KeyPair OTHER_P256 = TestTokens.ec("secp256r1");
    private static final KeyPair P384 = TestTokens.ec("secp384r1");

    private static final String PUBLISHER = "{\"mercure\":{\"publish\":[\"https://example.com/books/{id}\"]}}";

    private static TokenVerifier hs256() {
        return new TokenVerifier("subscriber", JwtKey.hmac(JwtAlgorithm.HS256, SECRET_32), Duration.ofSeconds(5), CLOCK);
    }

    private static TokenVerifier rs256() {
        return new TokenVerifier(null, JwtKey.parse(JwtAlgorithm.RS256, pem(RSA.getPublic())), Duration.ofSeconds(5), CLOCK);
    }

    private static TokenVerifier es256() {
        return new TokenVerifier(null, JwtKey.parse(JwtAlgorithm.ES256, pem(P256.getPublic())), Duration.ofSeconds(5), CLOCK);
    }

    @Test
    void acceptsAValidHs256TokenAndReadsItsClaims() throws AuthException {
        String token = sign(JwtAlgorithm.HS256, SECRET_32, """
                {"sub":"alice","exp":%d,"mercure":{
                  "publish":["https://example.com/books/{id}"],
                  "subscribe":["https://example.com/users/alice/{+any}","*"],
                  "payload":{"user":"https://example.com/users/alice","roles":["admin",null],"n":3}}}
                """.formatted(NOW_S + 3600));

        MercureClaims claims = hs256().verify(token);

        assertThat(claims.publish()).containsExactly("https://example.com/books/{id}");
        assertThat(claims.subscribe()).containsExactly("https://example.com/users/alice/{+any}", "*");
        assertThat(claims.subject()).isEqualTo("alice");
        assertThat(claims.expiresAt()).isEqualTo(NOW.plusSeconds(3600));
        assertThat(claims.payload()).isInstanceOf(Map.class);
        Map<?, ?> payload = (Map<?, ?>) claims.payload();
        assertThat(payload.get("user")).isEqualTo("https://example.com/users/alice");
        assertThat(payload.get("roles")).isEqualTo(java.util.Arrays.asList("admin", null));
        assertThat(((Number) payload.get("n")).intValue()).isEqualTo(3);
    }

    @Test
    void returnsDeeplyImmutableClaims() throws AuthException {
        String token = sign(JwtAlgorithm.HS256, SECRET_32,
                "{\"mercure\":{\"publish\":[\"a\"],\"payload\":{\"list\":[1]}}}");

        MercureClaims claims = hs256().verify(token);

        assertThatThrownBy(() -> claims.publish().add("b")).isInstanceOf(UnsupportedOperationException.class);
        Map<?, ?> payload = (Map<?, ?>) claims.payload();
        assertThatThrownBy(payload::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ((List<?>) payload.get("list")).clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        no mercure claim        | {"sub":"bob"}
        mercure claim null      | {"mercure":null}
        empty mercure object    | {"mercure":{}}
        null arrays             | {"mercure":{"publish":null,"subscribe":null}}
        """)
    void treatsMissingRightsAsNone(String description, String claims) throws AuthException {
        MercureClaims result = hs256().verify(sign(JwtAlgorithm.HS256, SECRET_32, claims));

        assertThat(result.publish()).isEmpty();
        assertThat(result.subscribe()).isEmpty();
        assertThat(result.payload()).isNull();
        assertThat(result.expiresAt()).isNull();
    }

    static Stream<Arguments> refusedByHs256() {
        return Stream.<Arguments>of(
                refused("wrong secret",
                        () -> sign(JwtAlgorithm.HS256, "another-secret-of-at-least-32-bytes!".getBytes(StandardCharsets.UTF_8), PUBLISHER),
                        "signature does not verify with the configured subscriber key"),
                refused("alg none, built by hand",
                        () -> b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64(PUBLISHER) + ".",
                        "algorithm none is not accepted"),
                refused("alg NONE with a signature copied from a valid token",
                        () -> b64("{\"alg\":\"NONE\"}") + "." + b64(PUBLISHER) + "."
                                + sign(JwtAlgorithm.HS256, SECRET_32, PUBLISHER).split("\\.")[2],
                        "algorithm none is not accepted"),
                refused("signature stripped from a valid token",
                        () -> stripSignature(sign(JwtAlgorithm.HS256, SECRET_32, PUBLISHER)),
                        "token has an empty signature"),
                refused("payload swapped under a valid signature",
                        () -> swapPayload(sign(JwtAlgorithm.HS256, SECRET_32, PUBLISHER),
                                "{\"mercure\":{\"publish\":[\"*\"]}}"),
                        "signature does not verify with the configured subscriber key"),
                refused("expired",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"exp\":%d}".formatted(NOW_S - 3600)),
                        "token expired at 2026-11-21T09:00:00Z"),
                refused("not valid yet",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"nbf\":%d}".formatted(NOW_S + 3600)),
                        "token is not valid before 2026-11-21T11:00:00Z"),
                refused("exp too large to be a time (its milliseconds overflowed to 1969)",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"exp\":1e300}"),
                        "token exp claim 1.0E300 is out of range"),
                refused("exp one past the largest time",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"exp\":9223372036854776}"),
                        "token exp claim 9223372036854776 is out of range: it must be seconds since"
                                + " 1970-01-01T00:00:00Z, at most 9223372036854775"),
                refused("nbf too large to be a time (it overflowed into the past and was accepted)",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"nbf\":1e300}"),
                        "token nbf claim 1.0E300 is out of range"),
                refused("nbf far below zero",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"nbf\":-1e300}"),
                        "token nbf claim -1.0E300 is out of range"),
                refused("RS256 token",
                        () -> sign(JwtAlgorithm.RS256, RSA.getPrivate(), PUBLISHER),
                        "token uses RS256 but the hub expects HS256"),
                refused("HS512 token with a long enough secret",
                        () -> sign(JwtAlgorithm.HS512, SECRET_64, PUBLISHER),
                        "token uses HS512 but the hub expects HS256"),
                refused("encrypted token (JWE)",
                        TokenVerifierTest::encrypted,
                        "encrypted tokens (JWE) are not accepted"),
                refused("unknown critical header",
                        () -> sign(new JWSHeader.Builder(JWSAlgorithm.HS256).criticalParams(Set.of("x-hub"))
                                .customParam("x-hub", true).build(), SECRET_32, PUBLISHER),
                        "token has critical header parameters the hub does not support: [x-hub]"),
                refused("payload is not JSON",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "hello"),
                        "token claims are malformed"),
                refused("exp is not a number",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"exp\":\"tomorrow\"}"),
                        "token claims are malformed"),
                refused("mercure is a string",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"mercure\":\"publish everything\"}"),
                        "mercure claim must be a JSON object, found a string"),
                refused("mercure is an array",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"mercure\":[\"*\"]}"),
                        "mercure claim must be a JSON object, found an array"),
                refused("mercure.publish is a string",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"mercure\":{\"publish\":\"*\"}}"),
                        "mercure.publish must be an array of strings, found a string"),
                refused("mercure.subscribe is an object",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"mercure\":{\"subscribe\":{\"a\":1}}}"),
                        "mercure.subscribe must be an array of strings, found an object"),
                refused("mercure.subscribe holds a number",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"mercure\":{\"subscribe\":[\"a\",42]}}"),
                        "mercure.subscribe[1] must be a string, found a number"),
                refused("mercure.publish holds null",
                        () -> sign(JwtAlgorithm.HS256, SECRET_32, "{\"mercure\":{\"publish\":[null]}}"),
                        "mercure.publish[0] must be a string, found null"));
    }

    @Test
    void acceptsTheLargestTime() throws AuthException {
        // 9223372036854775 s is in the year 292 278 994: the latest exp whose milliseconds fit a long.
        assertThat(hs256().verify(sign(JwtAlgorithm.HS256, SECRET_32, "{\"exp\":9223372036854775}")).expiresAt())
                .isEqualTo(Instant.ofEpochSecond(9223372036854775L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedByHs256")
    void refusesBadTokens(String description, Supplier<String> token, String message) {
        String compact = token.get();
        assertThatThrownBy(() -> hs256().verify(compact))
                .isInstanceOf(AuthException.class)
                .hasMessageStartingWith(message);
    }

    static Stream<Arguments> malformed() {
        String header = b64("{\"alg\":\"HS256\"}");
        return Stream.of(
                Arguments.of(null, "token is empty"),
                Arguments.of("", "token is empty"),
                Arguments.of("   ", "token is empty"),
                Arguments.of("not-a-jwt", "token is malformed: not a compact JWT (no dots)"),
                Arguments.of("a.b", "token is malformed: header is not base64url-encoded JSON"),
                Arguments.of("..", "token is malformed: header is not base64url-encoded JSON"),
                Arguments.of("!!!.e30.sig", "token is malformed: header is not base64url-encoded JSON"),
                Arguments.of(b64("[1,2]") + ".e30.sig", "token is malformed: header is not base64url-encoded JSON"),
                Arguments.of(b64("{\"typ\":\"JWT\"}") + ".e30.sig", "token header has no alg"),
                Arguments.of(b64("{\"alg\":7}") + ".e30.sig", "token header has no alg"),
                Arguments.of(header + ".e30", "token is malformed: expected 3 dot-separated parts, found 2"),
                Arguments.of(header + ".e30.a.b", "token is malformed: expected 3 dot-separated parts, found 4"),
                Arguments.of(header + ".e30.a.b.c.d", "token is malformed: expected 3 dot-separated parts, found 6"));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void refusesMalformedStrings(String token, String message) {
        assertThatThrownBy(() -> hs256().verify(token))
                .isInstanceOf(AuthException.class)
                .hasMessage(message);
    }

    static Stream<Arguments> refusedByPublicKeyVerifiers() {
        return Stream.of(
                Arguments.of("HS256 token to RS256 hub", rs256(),
                        sign(JwtAlgorithm.HS256, SECRET_32, PUBLISHER),
                        "token uses HS256 but the hub expects RS256"),
                // The classic confusion attack: HMAC-sign with the public key the hub is known to hold.
                Arguments.of("HS256 keyed with the hub's RSA public key", rs256(),
                        sign(JwtAlgorithm.HS256, pem(RSA.getPublic()).getBytes(StandardCharsets.UTF_8), PUBLISHER),
                        "token uses HS256 but the hub expects RS256"),
                Arguments.of("RS256 signed by another key", rs256(),
                        sign(JwtAlgorithm.RS256, OTHER_RSA.getPrivate(), PUBLISHER),
                        "signature does not verify with the configured key"),
                Arguments.of("RS512 token to RS256 hub", rs256(),
                        sign(JwtAlgorithm.RS512, RSA.getPrivate(), PUBLISHER),
                        "token uses RS512 but the hub expects RS256"),
                Arguments.of("ES256 signed by another key", es256(),
                        sign(JwtAlgorithm.ES256, OTHER_P256.getPrivate(), PUBLISHER),
                        "signature does not verify with the configured key"),
                Arguments.of("ES384 token to ES256 hub", es256(),
                        sign(JwtAlgorithm.ES384, P384.getPrivate(), PUBLISHER),
                        "token uses ES384 but the hub expects ES256"),
                Arguments.of("RS256 token to ES256 hub", es256(),
                        sign(JwtAlgorithm.RS256, RSA.getPrivate(), PUBLISHER),
                        "token uses RS256 but the hub expects ES256"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedByPublicKeyVerifiers")
    void refusesTokensThePublicKeyDidNotSign(String description, TokenVerifier verifier, String token, String message) {
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthException.class)
                .hasMessage(message);
    }

    @ParameterizedTest
    @EnumSource(JwtAlgorithm.class)
    void acceptsTokensSignedWithEachSupportedAlgorithm(JwtAlgorithm alg) throws AuthException {
        Object signingKey;
        JwtKey key;
        if (alg.isHmac()) {
            signingKey = SECRET_64;
            key = JwtKey.hmac(alg, SECRET_64);
        } else {
            KeyPair pair = alg.name().startsWith("RS") ? RSA : TestTokens.ec(TestTokens.jcaCurve(alg));
            signingKey = pair.getPrivate();
            key = JwtKey.parse(alg, pem(pair.getPublic()));
        }
        TokenVerifier verifier = new TokenVerifier(null, key, Duration.ZERO, CLOCK);

        MercureClaims claims = verifier.verify(sign(alg, signingKey, PUBLISHER));

        assertThat(claims.publish()).containsExactly("https://example.com/books/{id}");
    }

    @ParameterizedTest
    @CsvSource({
        // exp relative to now (s), skew (s), accepted
        "3600, 0, true",
        "1, 0, true",
        "0, 0, false",
        "-4, 5, true",
        "-5, 5, false",
        "-6, 5, false",
    })
    void appliesTheClockSkewToExp(long expOffset, long skew, boolean accepted) {
        assertSkew("{\"exp\":%d}".formatted(NOW_S + expOffset), skew, accepted);
    }

    @ParameterizedTest
    @CsvSource({
        // nbf relative to now (s), skew (s), accepted
        "-3600, 0, true",
        "0, 0, true",
        "1, 0, false",
        "5, 5, true",
        "6, 5, false",
    })
    void appliesTheClockSkewToNbf(long nbfOffset, long skew, boolean accepted) {
        assertSkew("{\"nbf\":%d}".formatted(NOW_S + nbfOffset), skew, accepted);
    }

    private static void assertSkew(String claims, long skew, boolean accepted) {
        TokenVerifier verifier = new TokenVerifier(null,
                JwtKey.hmac(JwtAlgorithm.HS256, SECRET_32), Duration.ofSeconds(skew), CLOCK);
        String token = sign(JwtAlgorithm.HS256, SECRET_32, claims);
        if (accepted) {
            assertThat(verifier)
                    .satisfies(v -> assertThat(v.verify(token)).isNotNull());
        } else {
            assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthException.class);
        }
    }

    @Test
    void canBeSharedBetweenThreads() throws Exception {
        TokenVerifier verifier = es256();
        String good = sign(JwtAlgorithm.ES256, P256.getPrivate(), PUBLISHER);
        String bad = sign(JwtAlgorithm.ES256, OTHER_P256.getPrivate(), PUBLISHER);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                boolean expectGood = i % 2 == 0;
                results.add(pool.submit(() -> {
                    try {
                        verifier.verify(expectGood ? good : bad);
                        return expectGood;
                    } catch (AuthException e) {
                        return !expectGood;
                    }
                }));
            }
            for (Future<Boolean> result : results) {
                assertThat(result.get()).isTrue();
            }
        }
    }

    @Test
    void refusesANegativeClockSkew() {
        JwtKey key = JwtKey.hmac(JwtAlgorithm.HS256, SECRET_32);
        assertThatThrownBy(() -> new TokenVerifier(null, key, Duration.ofSeconds(-1), CLOCK))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toleratesSurroundingWhitespace() throws AuthException {
        String token = sign(JwtAlgorithm.HS256, SECRET_32, PUBLISHER);
        assertThat(hs256().verify(" " + token + "\n").publish()).hasSize(1);
    }

    @Test
    @Tag("process") // runs keytool; left out of mutation testing
    void verifiesWithTheKeyOfAnX509Certificate(@TempDir Path dir) throws Exception {
        // keytool ships with every JDK and is the simplest way to get a real certificate without
        // pulling a certificate-building library into the tests.
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Path store = dir.resolve("hub.p12");
        Path cert = dir.resolve("hub.crt");
        run(keytool.toString(), "-genkeypair", "-alias", "hub", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=sluice-test", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit");
        run(keytool.toString(), "-exportcert", "-rfc", "-alias", "hub", "-keystore", store.toString(),
                "-storepass", "changeit", "-file", cert.toString());
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            keyStore.load(in, "changeit".toCharArray());
        }
        PrivateKey privateKey = (PrivateKey) keyStore.getKey("hub", "changeit".toCharArray());
        String pemText = Files.readString(cert);
        assertThat(pemText).startsWith("-----BEGIN CERTIFICATE-----");

        for (String configured : List.of(pemText, cert.toString())) {
            TokenVerifier verifier = new TokenVerifier(null,
                    JwtKey.parse(JwtAlgorithm.RS256, configured), Duration.ZERO, CLOCK);
            assertThat(verifier.verify(sign(JwtAlgorithm.RS256, privateKey, PUBLISHER)).publish())
                    .containsExactly("https://example.com/books/{id}");
            assertThatThrownBy(() -> verifier.verify(sign(JwtAlgorithm.RS256, OTHER_RSA.getPrivate(), PUBLISHER)))
                    .hasMessage("signature does not verify with the configured key");
        }
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }

    private static Arguments refused(String description, Supplier<String> token, String message) {
        return Arguments.of(description, token, message);
    }

    private static String stripSignature(String token) {
        return token.substring(0, token.lastIndexOf('.') + 1);
    }

    private static String swapPayload(String token, String payload) {
        String[] parts = token.split("\\.");
        return parts[0] + "." + b64(payload) + "." + parts[2];
    }

    private static String encrypted() {
        try {
            JWEObject jwe = new JWEObject(new JWEHeader(JWEAlgorithm.DIR, EncryptionMethod.A256GCM),
                    new Payload(PUBLISHER));
            jwe.encrypt(new DirectEncrypter(SECRET_32));
            return jwe.serialize();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
