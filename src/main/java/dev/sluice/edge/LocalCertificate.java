package dev.sluice.edge;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate for local use ({@code --tls-self-signed}): an EC P-256 key and a
 * certificate for {@code localhost}, 127.0.0.1 and ::1, valid for 30 days. No client trusts it
 * unless told to (curl {@code --cacert}, a trust store holding {@link #certificate()}, or
 * Chromium's {@code --ignore-certificate-errors-spki-list}).
 */
public record LocalCertificate(PrivateKey key, X509Certificate certificate) {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new key and certificate with a random serial. */
    public static LocalCertificate generate(String commonName) {
        return generate(commonName, new BigInteger(63, RANDOM).add(BigInteger.ONE));
    }

    /** A new key and certificate with this serial number (positive). */
    public static LocalCertificate generate(String commonName, BigInteger serial) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256, RANDOM);
            KeyPair pair = generator.generateKeyPair();
            X500Name name = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            var builder = new JcaX509v3CertificateBuilder(name, serial, Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(30))), name, pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1")}));
            // Its own issuer: a client told to trust it uses it as the trust anchor.
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
            return new LocalCertificate(pair.getPrivate(), certificate);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a self-signed certificate: " + e.getMessage(), e);
        }
    }

    /** The certificate as PEM text. */
    public String certificatePem() {
        return pem(certificate);
    }

    /** The private key as PEM text (PKCS#8). */
    public String keyPem() {
        try {
            return pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException("cannot write the key as PEM: " + e.getMessage(), e);
        }
    }

    /** Writes the certificate and the key as PEM files (what {@code --tls-cert} and {@code --tls-key} read). */
    public void write(Path certFile, Path keyFile) throws IOException {
        Files.writeString(certFile, certificatePem(), StandardCharsets.US_ASCII);
        Files.writeString(keyFile, keyPem(), StandardCharsets.US_ASCII);
    }

    private static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }
}
