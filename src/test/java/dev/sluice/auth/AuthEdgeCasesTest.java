package dev.sluice.auth;

import static dev.sluice.auth.TestTokens.SECRET_32;
import static dev.sluice.auth.TestTokens.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Edges of token extraction, key files and claim shapes that the main tests do not reach. */
class AuthEdgeCasesTest {

    @ParameterizedTest(name = "[{index}] Cookie: {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', nullValues = "NULL", textBlock = """
            mercureAuthorization=""             | NULL
            mercureAuthorization="t"            | t
            mercureAuthorization="              | "
            mercureAuthorization=x"             | x"
            mercureAuthorization=               | NULL
            =x; mercureAuthorization=t          | t
            other=1; mercureAuthorization = t2  | t2
            mercureAuthorizationX=1             | NULL
            """)
    void cookieValues(String cookie, String expected) throws AuthException {
        assertThat(TokenExtractor.extract(null, null, cookie)).isEqualTo(expected);
    }

    @Test
    void aKeyFileOfExactlyTheSizeLimitIsRead(@TempDir Path dir) throws Exception {
        Path atLimit = dir.resolve("at-limit.pem");
        Files.writeString(atLimit, "x".repeat(64 * 1024));
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.RS256, atLimit.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key file " + atLimit + " is not a PEM public key"
                        + " (no complete -----BEGIN ...----- / -----END ...----- block)");
        Path over = dir.resolve("over.pem");
        Files.writeString(over, "x".repeat(64 * 1024 + 1));
        assertThatThrownBy(() -> JwtKey.parse(JwtAlgorithm.RS256, over.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key file " + over + " is too large to be a PEM key");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
            {"mercure":{"publish":7}}                 | mercure.publish must be an array of strings, found a number
            {"mercure":{"publish":true}}              | mercure.publish must be an array of strings, found a boolean
            {"mercure":{"subscribe":[false]}}         | mercure.subscribe[0] must be a string, found a boolean
            {"mercure":{"subscribe":["a",{"b":1}]}}   | mercure.subscribe[1] must be a string, found an object
            {"mercure":{"subscribe":[["a"]]}}         | mercure.subscribe[0] must be a string, found an array
            {"mercure":3.5}                           | mercure claim must be a JSON object, found a number
            {"mercure":false}                         | mercure claim must be a JSON object, found a boolean
            """)
    void wrongClaimShapesAreNamed(String claims, String message) {
        Clock clock = Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC);
        TokenVerifier verifier = new TokenVerifier(null, JwtKey.hmac(JwtAlgorithm.HS256, SECRET_32), Duration.ZERO, clock);
        assertThatThrownBy(() -> verifier.verify(sign(JwtAlgorithm.HS256, SECRET_32, claims)))
                .isInstanceOf(AuthException.class).hasMessage(message);
    }
}
