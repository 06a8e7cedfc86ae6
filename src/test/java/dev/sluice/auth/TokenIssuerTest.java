package dev.sluice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TokenIssuerTest {

    private static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @ParameterizedTest
    @EnumSource(value = JwtAlgorithm.class, names = {"HS256", "HS384", "HS512"})
    void issuesTokensTheVerifierAccepts(JwtAlgorithm alg) throws AuthException {
        byte[] secret = TokenIssuer.randomSecret().getBytes(StandardCharsets.UTF_8);
        String token = TokenIssuer.hmac(alg, secret, List.of("https://example.com/{id}"), List.of("*"),
                Duration.ofMinutes(10), CLOCK);

        MercureClaims claims = new TokenVerifier(null, JwtKey.hmac(alg, secret), Duration.ZERO, CLOCK).verify(token);

        assertThat(claims.publish()).containsExactly("https://example.com/{id}");
        assertThat(claims.subscribe()).containsExactly("*");
        assertThat(claims.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(10)));
    }

    @Test
    void issuesTokensThatExpire() {
        String token = TokenIssuer.hmac(JwtAlgorithm.HS256, TestTokens.SECRET_32, List.of("*"), null,
                Duration.ofMinutes(1), CLOCK);
        TokenVerifier later = new TokenVerifier(null, JwtKey.hmac(JwtAlgorithm.HS256, TestTokens.SECRET_32),
                Duration.ZERO, Clock.offset(CLOCK, Duration.ofMinutes(2)));

        assertThatThrownBy(() -> later.verify(token)).hasMessage("token expired at 2026-11-21T10:01:00Z");
    }

    @Test
    void issuesNonExpiringTokensWithOnlyTheGivenRights() throws AuthException {
        String token = TokenIssuer.hmac(JwtAlgorithm.HS256, TestTokens.SECRET_32, List.of("*"), null, null);

        MercureClaims claims = new TokenVerifier(null, JwtKey.hmac(JwtAlgorithm.HS256, TestTokens.SECRET_32),
                Duration.ZERO, Clock.offset(Clock.systemUTC(), Duration.ofDays(3650))).verify(token);

        assertThat(claims.publish()).containsExactly("*");
        assertThat(claims.subscribe()).isEmpty();
        assertThat(claims.expiresAt()).isNull();
    }

    @Test
    void signsOnlyWithHmacAndLongEnoughSecrets() {
        assertThatThrownBy(() -> TokenIssuer.hmac(JwtAlgorithm.RS256, TestTokens.SECRET_32, List.of(), List.of(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("RS256 needs a public key, not a shared secret");
        assertThatThrownBy(() -> TokenIssuer.hmac(JwtAlgorithm.HS512, TestTokens.SECRET_32, List.of(), List.of(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("HS512 secret is 32 bytes but must be at least 64 bytes (512 bits)");
    }

    @Test
    void generatesDistinctUrlSafeSecretsLongEnoughForHs512() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String secret = TokenIssuer.randomSecret();
            assertThat(secret).hasSize(64).matches("[A-Za-z0-9_-]+");
            assertThat(JwtKey.parse(JwtAlgorithm.HS512, secret).algorithm()).isEqualTo(JwtAlgorithm.HS512);
            assertThat(seen.add(secret)).isTrue();
        }
    }
}
