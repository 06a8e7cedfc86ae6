package dev.sluice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key a hub checks token signatures with, already validated against its algorithm: an HMAC
 * secret that is long enough, or an RSA/EC public key of the right type and curve. Anything a
 * configuration file can get wrong is reported here, at start-up, with an
 * {@link IllegalArgumentException} that says what to fix, so verification never fails for reasons
 * of configuration.
 *
 * <p>{@link #toString()} never shows the secret.
 */
public final class JwtKey {

    /** Generous for a certificate chain; anything larger is not what the operator meant to point at. */
    private static final long MAX_KEY_FILE_BYTES = 64 * 1024;
    private static final int MIN_RSA_BITS = 2048;
    private static final Pattern PEM_BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private final JwtAlgorithm algorithm;
    private final byte[] secret;
    private final PublicKey publicKey;

    private JwtKey(JwtAlgorithm algorithm, byte[] secret, PublicKey publicKey) {
        this.algorithm = algorithm;
        this.secret = secret;
        this.publicKey = publicKey;
    }

    /**
     * Builds a key from its configuration form. For HS* the string is the shared secret, used as
     * its UTF-8 bytes (the same convention as other Mercure hubs, so existing tokens keep working).
     * For RS* and ES* it is a PEM public key ({@code -----BEGIN PUBLIC KEY-----} or an X.509
     * {@code -----BEGIN CERTIFICATE-----}), or the path of a file holding one.
     *
     * @throws IllegalArgumentException saying what is wrong with the key
     */
    public static JwtKey parse(JwtAlgorithm algorithm, String key) {
        Objects.requireNonNull(algorithm, "algorithm");
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("no key configured for " + algorithm);
        }
        if (algorithm.isHmac()) {
            return hmac(algorithm, key.getBytes(StandardCharsets.UTF_8));
        }
        return publicKey(algorithm, readPublicKey(algorithm, key));
    }

    /**
     * Builds an HMAC key from raw secret bytes.
     *
     * @throws IllegalArgumentException if the algorithm is not HS* or the secret is too short
     */
    public static JwtKey hmac(JwtAlgorithm algorithm, byte[] secret) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(secret, "secret");
        checkSecret(algorithm, secret);
        return new JwtKey(algorithm, secret.clone(), null);
    }

    /**
     * Wraps an RSA or EC public key already in memory.
     *
     * @throws IllegalArgumentException if the key does not suit the algorithm
     */
    public static JwtKey publicKey(JwtAlgorithm algorithm, PublicKey key) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        switch (algorithm.family()) {
            case HMAC -> throw new IllegalArgumentException(
                    algorithm + " needs a shared secret, not a public key");
            case RSA -> {
                if (!(key instanceof RSAPublicKey rsa)) {
                    throw wrongType(algorithm, key, "an RSA");
                }
                int bits = rsa.getModulus().bitLength();
                if (bits < MIN_RSA_BITS) {
                    throw new IllegalArgumentException("RSA key is " + bits + " bits but "
                            + algorithm + " needs at least " + MIN_RSA_BITS);
                }
            }
            case OKP -> {
                if (!(key instanceof EdECPublicKey ed) || !"Ed25519".equalsIgnoreCase(ed.getParams().getName())) {
                    throw wrongType(algorithm, key, "an Ed25519");
                }
            }
            case EC -> {
                if (!(key instanceof ECPublicKey ec)) {
                    throw wrongType(algorithm, key, "an EC");
                }
                Curve curve = Curve.forECParameterSpec(ec.getParams());
                String name = curve == null ? "on an unsupported curve" : curve.getName();
                if (!algorithm.curve().equals(name)) {
                    throw new IllegalArgumentException("EC key is " + name + " but " + algorithm
                            + " needs " + algorithm.curve());
                }
            }
        }
        return new JwtKey(algorithm, null, key);
    }

    /** The algorithm every token checked with this key must use. */
    public JwtAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * A fresh nimbus verifier for this key. Nimbus verifiers are thread-safe, so callers build one
     * and keep it.
     */
    JWSVerifier newVerifier() {
        try {
            return switch (algorithm.family()) {
                case HMAC -> new MACVerifier(secret);
                case RSA -> new RSASSAVerifier((RSAPublicKey) publicKey);
                case EC -> new ECDSAVerifier((ECPublicKey) publicKey);
                case OKP -> new Ed25519Verifier(new OctetKeyPair.Builder(Curve.Ed25519,
                        Base64URL.encode(ed25519Raw(publicKey))).build());
            };
        } catch (JOSEException e) {
            // The factories above validated what nimbus checks, so this means a JCA set-up problem.
            throw new IllegalStateException("cannot build a " + algorithm + " verifier: " + e.getMessage(), e);
        }
    }

    /**
     * The 32 raw bytes of an Ed25519 public key (RFC 8032), as a JWK's {@code x} holds them: the
     * end of its X.509 SubjectPublicKeyInfo, whose 12-byte prefix is fixed for Ed25519.
     */
    private static byte[] ed25519Raw(PublicKey key) {
        byte[] der = key.getEncoded();
        if (der.length != 44) {
            throw new IllegalStateException("unexpected Ed25519 key encoding of " + der.length + " bytes");
        }
        return java.util.Arrays.copyOfRange(der, 12, 44);
    }

    @Override
    public String toString() {
        return algorithm.isHmac()
                ? "JwtKey[" + algorithm + ", shared secret of " + secret.length + " bytes]"
                : "JwtKey[" + algorithm + ", " + publicKey.getAlgorithm() + " public key]";
    }

    private static void checkSecret(JwtAlgorithm algorithm, byte[] secret) {
        if (!algorithm.isHmac()) {
            throw new IllegalArgumentException(algorithm + " needs a public key, not a shared secret");
        }
        if (secret.length < algorithm.minSecretBytes()) {
            throw new IllegalArgumentException(algorithm + " secret is " + secret.length
                    + " bytes but must be at least " + algorithm.minSecretBytes() + " bytes ("
                    + algorithm.minSecretBytes() * 8 + " bits)");
        }
    }

    private static IllegalArgumentException wrongType(JwtAlgorithm algorithm, PublicKey key, String wanted) {
        return new IllegalArgumentException("key is " + describe(key) + " public key but " + algorithm
                + " needs " + wanted + " public key");
    }

    private static String describe(PublicKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "an RSA";
            case "EC" -> "an EC";
            case "EdDSA", "Ed25519" -> "an Ed25519";
            case "XDH", "X25519" -> "an X25519";
            default -> "a " + key.getAlgorithm();
        };
    }

    private static PublicKey readPublicKey(JwtAlgorithm algorithm, String key) {
        String text = key.strip();
        String source = "key for " + algorithm;
        if (!text.startsWith("-----BEGIN")) {
            Path file = readableFile(text);
            if (file == null) {
                throw new IllegalArgumentException(source + " is not a PEM public key"
                        + " (expected -----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----)"
                        + " nor the path of a readable file");
            }
            text = readFile(file);
            source = "key file " + file;
        }
        return decodePem(source, text);
    }

    private static Path readableFile(String text) {
        if (text.isEmpty() || text.indexOf('\n') >= 0) {
            return null;
        }
        try {
            Path path = Path.of(text);
            return Files.isRegularFile(path) && Files.isReadable(path) ? path : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static String readFile(Path file) {
        try {
            if (Files.size(file) > MAX_KEY_FILE_BYTES) {
                throw new IllegalArgumentException("key file " + file + " is too large to be a PEM key");
            }
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read key file " + file + ": " + e.getMessage(), e);
        }
    }

    private static PublicKey decodePem(String source, String text) {
        // Keys pasted into environment variables often arrive with literal "\n" instead of line breaks.
        Matcher m = PEM_BLOCK.matcher(text.replace("\\n", "\n"));
        if (!m.find()) {
            throw new IllegalArgumentException(source + " is not a PEM public key"
                    + " (no complete -----BEGIN ...----- / -----END ...----- block)");
        }
        String type = m.group(1);
        byte[] der;
        try {
            // The basic decoder, not the MIME one: the latter silently skips stray characters, which
            // would turn a damaged key into a confusing "not an RSA or EC key".
            der = Base64.getDecoder().decode(m.group(2).replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not a PEM public key (bad base64: "
                    + e.getMessage() + ")", e);
        }
        return switch (type) {
            case "PUBLIC KEY" -> decodeSubjectPublicKeyInfo(source, der);
            case "CERTIFICATE" -> decodeCertificate(source, der);
            case "RSA PUBLIC KEY" -> throw new IllegalArgumentException(source
                    + " is a PKCS#1 RSA PUBLIC KEY; convert it to a PUBLIC KEY with"
                    + " 'openssl rsa -RSAPublicKey_in -pubout'");
            case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY" ->
                    throw new IllegalArgumentException(source + " is a private key; configure the"
                            + " matching public key instead (-----BEGIN PUBLIC KEY-----)");
            default -> throw new IllegalArgumentException(source + " is not a PEM public key (found "
                    + type + ", expected PUBLIC KEY or CERTIFICATE)");
        };
    }

    private static PublicKey decodeSubjectPublicKeyInfo(String source, byte[] der) {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        // SubjectPublicKeyInfo names its own algorithm; trying the two we support is simpler than
        // reading the OID ourselves and gives the same answer.
        for (String type : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(type).generatePublic(spec);
            } catch (GeneralSecurityException e) {
                // not this type; try the next
            }
        }
        throw new IllegalArgumentException(source + " is not an RSA, EC or Ed25519 public key");
    }

    private static PublicKey decodeCertificate(String source, byte[] der) {
        try {
            return CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der))
                    .getPublicKey();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(source + " is not a valid X.509 certificate: "
                    + e.getMessage(), e);
        }
    }
}
