package dev.sluice.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/** Key pairs, PEM encoding and hand-built tokens for the auth tests; nothing here is used by the hub. */
final class TestTokens {

    static final byte[] SECRET_32 = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final byte[] SECRET_64 = (new String(SECRET_32, StandardCharsets.UTF_8) + "ghijklmnopqrstuvwxyz0123456789AB")
            .getBytes(StandardCharsets.UTF_8);

    private TestTokens() {
    }

    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(bits);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** @param curve a JCA name: secp256r1, secp384r1 or secp521r1 */
    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(curve));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The JWK form of a JDK Ed25519 key pair, which nimbus signs with: the raw 32-byte public key
     * ends its X.509 encoding, the 32-byte private seed ends its PKCS#8 encoding.
     */
    static com.nimbusds.jose.jwk.OctetKeyPair okp(KeyPair pair) {
        byte[] pub = pair.getPublic().getEncoded();
        byte[] priv = pair.getPrivate().getEncoded();
        return new com.nimbusds.jose.jwk.OctetKeyPair.Builder(com.nimbusds.jose.jwk.Curve.Ed25519,
                com.nimbusds.jose.util.Base64URL.encode(java.util.Arrays.copyOfRange(pub, pub.length - 32, pub.length)))
                .d(com.nimbusds.jose.util.Base64URL.encode(java.util.Arrays.copyOfRange(priv, priv.length - 32, priv.length)))
                .build();
    }

    static String pem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** Signs arbitrary payload text (not necessarily JSON) with an HMAC secret or a private key. */
    static String sign(JwtAlgorithm alg, Object key, String payload) {
        return sign(new JWSHeader(JWSAlgorithm.parse(alg.name())), key, payload);
    }

    static String sign(JWSHeader header, Object key, String payload) {
        try {
            JWSObject jws = new JWSObject(header, new Payload(payload));
            jws.sign(signer(key));
            return jws.serialize();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    private static JWSSigner signer(Object key) throws JOSEException {
        if (key instanceof byte[] secret) {
            return new MACSigner(secret);
        }
        if (key instanceof com.nimbusds.jose.jwk.OctetKeyPair okp) {
            return new com.nimbusds.jose.crypto.Ed25519Signer(okp);
        }
        if (key instanceof ECPrivateKey ec) {
            return new ECDSASigner(ec);
        }
        if (key instanceof PrivateKey rsa) {
            return new RSASSASigner(rsa);
        }
        throw new IllegalArgumentException("no signer for " + key);
    }

    /** base64url of the UTF-8 text, no padding, as in a compact JWS. */
    static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The JCA curve name for an ES* algorithm, to generate a matching key pair. */
    static String jcaCurve(JwtAlgorithm alg) {
        return switch (alg) {
            case ES256 -> "secp256r1";
            case ES384 -> "secp384r1";
            case ES512 -> "secp521r1";
            default -> throw new IllegalArgumentException(alg + " is not an EC algorithm");
        };
    }
}
