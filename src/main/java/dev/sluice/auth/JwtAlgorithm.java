package dev.sluice.auth;

import com.nimbusds.jose.JWSAlgorithm;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The JWS algorithms a Sluice hub accepts for publisher and subscriber tokens. Each constant knows
 * its family (HMAC, RSA, EC, OKP for EdDSA) and what key material it needs; {@link #parse(String)} reads a
 * configuration value case-insensitively and names every accepted value when it fails.
 */
public enum JwtAlgorithm {
    HS256(Family.HMAC, 32, null),
    HS384(Family.HMAC, 48, null),
    HS512(Family.HMAC, 64, null),
    RS256(Family.RSA, 0, null),
    RS384(Family.RSA, 0, null),
    RS512(Family.RSA, 0, null),
    ES256(Family.EC, 0, "P-256"),
    ES384(Family.EC, 0, "P-384"),
    ES512(Family.EC, 0, "P-521"),
    /** Ed25519 signatures (RFC 8037), checked with Google Tink through nimbus. */
    EdDSA(Family.OKP, 0, "Ed25519");

    /** Key families; package-private because callers only need {@link #isHmac()}. */
    enum Family { HMAC, RSA, EC, OKP }

    private final Family family;
    private final int minSecretBytes;
    private final String curve;
    private final JWSAlgorithm jws;

    JwtAlgorithm(Family family, int minSecretBytes, String curve) {
        this.family = family;
        this.minSecretBytes = minSecretBytes;
        this.curve = curve;
        this.jws = JWSAlgorithm.parse(name());
    }

    /**
     * Reads an algorithm name such as {@code "hs256"} or {@code " RS256 "}.
     *
     * @throws IllegalArgumentException naming the accepted values when the name is unknown
     */
    public static JwtAlgorithm parse(String name) {
        if (name != null) {
            String wanted = name.strip().toUpperCase(Locale.ROOT);
            for (JwtAlgorithm alg : values()) {
                if (alg.name().toUpperCase(Locale.ROOT).equals(wanted)) {
                    return alg;
                }
            }
        }
        String accepted = Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
        throw new IllegalArgumentException(
                "unknown JWT algorithm '" + name + "'; accepted values are " + accepted);
    }

    /** True for HS256/HS384/HS512, whose key is a shared secret rather than a public key. */
    public boolean isHmac() {
        return family == Family.HMAC;
    }

    Family family() {
        return family;
    }

    /**
     * Shortest shared secret, in bytes, for an HMAC algorithm: RFC 7518 section 3.2 asks for a key at
     * least as long as the hash output. Zero for the public-key algorithms.
     */
    int minSecretBytes() {
        return minSecretBytes;
    }

    /** The curve (as nimbus spells it, e.g. "P-256", "Ed25519") an EC or EdDSA algorithm needs; null otherwise. */
    String curve() {
        return curve;
    }

    JWSAlgorithm jwsAlgorithm() {
        return jws;
    }
}
