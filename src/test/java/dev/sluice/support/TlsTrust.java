package dev.sluice.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * How a test client trusts a gateway's TLS certificate (its self-signed one, see
 * {@code TestHub.startTls}, or one a test made with {@code LocalCertificate}) without trusting
 * anything else: a JDK {@link SSLContext} or trust manager (JDK HttpClient, okhttp), a PEM file
 * (curl {@code --cacert}), or the SPKI hash Chromium's {@code --ignore-certificate-errors-spki-list}
 * takes.
 */
public final class TlsTrust {
    private TlsTrust() {
    }

    /** A trust manager that trusts exactly this certificate. */
    public static X509TrustManager trustManager(X509Certificate certificate) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("gateway", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client SSL context that trusts exactly this certificate. */
    public static SSLContext sslContext(X509Certificate certificate) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {trustManager(certificate)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the certificate as a PEM file in dir (for curl --cacert) and returns its path. */
    public static Path pemFile(X509Certificate certificate, Path dir) throws IOException {
        try {
            String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate.getEncoded());
            Path file = dir.resolve("gateway-" + certificate.getSerialNumber().toString(16) + ".pem");
            Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n",
                    StandardCharsets.US_ASCII);
            return file;
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IOException(e);
        }
    }

    /** Base64 of the SHA-256 of the certificate's public key, for --ignore-certificate-errors-spki-list. */
    public static String spkiSha256(X509Certificate certificate) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
