package dev.sluice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JwtAlgorithmTest {

    @ParameterizedTest
    @CsvSource({
        "HS256, HS256",
        "hs256, HS256",
        "' Rs384 ', RS384",
        "es512, ES512",
        "eddsa, EdDSA",
        "EdDSA, EdDSA",
    })
    void parsesNamesCaseInsensitively(String input, JwtAlgorithm expected) {
        assertThat(JwtAlgorithm.parse(input)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "HS1", "PS256", "Ed448", ""})
    void refusesUnknownNamesListingTheAcceptedOnes(String input) {
        assertThatThrownBy(() -> JwtAlgorithm.parse(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown JWT algorithm '" + input + "'; accepted values are "
                        + "HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512, EdDSA");
    }

    @ParameterizedTest
    @CsvSource({"HS256, true", "HS512, true", "RS256, false", "ES384, false", "EdDSA, false"})
    void knowsWhichAlgorithmsUseASharedSecret(JwtAlgorithm alg, boolean hmac) {
        assertThat(alg.isHmac()).isEqualTo(hmac);
    }
}
