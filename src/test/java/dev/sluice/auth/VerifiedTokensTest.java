package dev.sluice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifiedTokensTest {

    private static final byte[] SECRET = "verified-tokens-test-secret-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    /** A clock the test moves by hand. */
    private static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-11-21T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void rememberedTokenStillExpiresOnTime() throws Exception {
        MovableClock clock = new MovableClock();
        TokenVerifier verifier = new TokenVerifier(null, JwtKey.hmac(JwtAlgorithm.HS256, SECRET), Duration.ofSeconds(5), clock);
        VerifiedTokens tokens = new VerifiedTokens(verifier, Duration.ofSeconds(5), clock, 100, Duration.ofMinutes(5));
        String token = TokenIssuer.hmac(JwtAlgorithm.HS256, SECRET, List.of("*"), List.of(), Duration.ofSeconds(60), clock);

        MercureClaims first = tokens.verify(token);
        assertThat(tokens.verify(token)).isSameAs(first);
        clock.now = clock.now.plusSeconds(64);
        assertThat(tokens.verify(token)).as("within the skew").isSameAs(first);
        clock.now = clock.now.plusSeconds(2);
        assertThatThrownBy(() -> tokens.verify(token)).isInstanceOf(AuthException.class).hasMessageContaining("expired");
    }

    @Test
    void refusalsAreNotRemembered() {
        MovableClock clock = new MovableClock();
        TokenVerifier verifier = new TokenVerifier(null, JwtKey.hmac(JwtAlgorithm.HS256, SECRET), Duration.ZERO, clock);
        VerifiedTokens tokens = new VerifiedTokens(verifier, Duration.ZERO, clock, 100, Duration.ofMinutes(5));
        String forged = TokenIssuer.hmac(JwtAlgorithm.HS256, "another-secret-another-secret-another-secret".getBytes(
                StandardCharsets.UTF_8), List.of("*"), List.of(), null, clock);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> tokens.verify(forged)).isInstanceOf(AuthException.class).hasMessageContaining("signature");
        }
    }
}
