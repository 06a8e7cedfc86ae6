package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --token-issuer}, {@code --token-audience} and {@code --publish-origins} from the command line and the environment. */
class TokenClaimOptionsTest {

    static Config parsed(Map<String, String> env, String... args) {
        return ServeOptions.parse(env, args);
    }

    @Test
    void unsetByDefault() {
        Config c = parsed(Map.of());
        assertThat(c.tokenIssuer()).isNull();
        assertThat(c.tokenAudiences()).isEmpty();
    }

    @Test
    void readFromTheCommandLine() {
        Config c = parsed(Map.of(), "--token-issuer", "https://auth.example",
                "--token-audience", "a", "--token-audience", "b, c");
        assertThat(c.tokenIssuer()).isEqualTo("https://auth.example");
        assertThat(c.tokenAudiences()).containsExactly("a", "b", "c");
    }

    @Test
    void readFromTheEnvironment() {
        Config c = parsed(Map.of("SLUICE_TOKEN_ISSUER", "iss-1", "SLUICE_TOKEN_AUDIENCE", "x,y"));
        assertThat(c.tokenIssuer()).isEqualTo("iss-1");
        assertThat(c.tokenAudiences()).containsExactly("x", "y");
    }

    @Test
    void blankAudienceNamesItsOption() {
        assertThatThrownBy(() -> Config.builder().tokenAudiences(List.of("a", " ")).build())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--token-audience:");
    }

    @Test
    void blankIssuerFromTheBuilderNamesItsOption() {
        assertThatThrownBy(() -> Config.builder().tokenIssuer("  ").build())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--token-issuer:");
    }

    @Test
    void trustedIssuersAreReadAndCheckedWithoutShowingTheirKeys() {
        assertThat(parsed(Map.of()).trustedIssuers()).isEmpty();
        Config c = parsed(Map.of(), "--trusted-issuer", "https://a.example=secret=with=equals",
                "--trusted-issuer", " https://b.example = RS256:/etc/b.pem ");
        assertThat(c.trustedIssuerKeys()).containsExactly(Map.entry("https://a.example", "secret=with=equals"),
                Map.entry("https://b.example", "RS256:/etc/b.pem"));
        assertThat(parsed(Map.of("SLUICE_TRUSTED_ISSUER", "https://c.example=https://c.example/jwks.json"))
                .trustedIssuerKeys()).containsExactly(Map.entry("https://c.example", "https://c.example/jwks.json"));
        assertThatThrownBy(() -> parsed(Map.of(), "--trusted-issuer", "no-equals-sign"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--trusted-issuer:")
                .hasMessageContaining("must be ISSUER=KEY").hasMessageNotContaining("no-equals-sign");
        assertThatThrownBy(() -> parsed(Map.of(), "--trusted-issuer", "=the-secret"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--trusted-issuer:")
                .hasMessageNotContaining("the-secret");
        assertThatThrownBy(() -> parsed(Map.of(), "--trusted-issuer", "https://a.example="))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'https://a.example' has no key");
        assertThatThrownBy(() -> parsed(Map.of(), "--trusted-issuer", "https://a.example=k1",
                "--trusted-issuer", "https://a.example=k2")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'https://a.example' is given twice").hasMessageNotContaining("k1");
    }

    @Test
    void publishOriginsAreReadAndChecked() {
        assertThat(parsed(Map.of()).publishOrigins()).isEmpty();
        assertThat(parsed(Map.of(), "--publish-origins", "https://a.example, http://b.example:8080").publishOrigins())
                .containsExactly("https://a.example", "http://b.example:8080");
        assertThat(parsed(Map.of("SLUICE_PUBLISH_ORIGINS", "*")).publishOrigins()).containsExactly("*");
        assertThatThrownBy(() -> parsed(Map.of(), "--publish-origins", "a.example"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--publish-origins:")
                .hasMessageContaining("'a.example' is not an origin");
        assertThatThrownBy(() -> Config.builder().publishOrigins(List.of("https://a.example/path")).build())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--publish-origins:");
    }

    @Test
    void jwksOptionsAreReadAndChecked() {
        Config c = parsed(Map.of("SLUICE_SUBSCRIBER_JWKS_URL", "https://idp.example/sub.json"),
                "--publisher-jwks-url", "https://idp.example/jwks.json", "--jwks-cache-ttl", "1m");
        assertThat(c.publisherJwksUrl()).isEqualTo("https://idp.example/jwks.json");
        assertThat(c.subscriberJwksUrl()).isEqualTo("https://idp.example/sub.json");
        assertThat(c.jwksCacheTtl()).isEqualTo(java.time.Duration.ofMinutes(1));
        assertThat(parsed(Map.of()).jwksCacheTtl()).isEqualTo(java.time.Duration.ofMinutes(5));
        assertThatThrownBy(() -> parsed(Map.of(), "--publisher-jwks-url", "ftp://x/jwks"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--publisher-jwks-url:");
        assertThatThrownBy(() -> parsed(Map.of(), "--publisher-jwks-url", "https://x/jwks", "--publisher-jwt-key",
                "0123456789abcdef0123456789abcdef")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> parsed(Map.of(), "--jwks-cache-ttl", "10ms"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--jwks-cache-ttl:");
    }
}
