package dev.sluice.edge;

import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP port's TLS: the certificate it serves, the engine, and ALPN offering {@code h2} then
 * {@code http/1.1}.
 *
 * <p>Every new connection takes the context current at its accept, so replacing it rotates the
 * certificate for new handshakes while open connections keep theirs. The files are compared with
 * what was loaded once a second, and read again on {@link #reload} (SIGHUP); a new pair is used
 * only when both files parse and the key matches the certificate, so a rotation caught between
 * its two file writes keeps the previous pair (and says so once) until the second write lands.
 *
 * <p>The engine is OpenSSL (BoringSSL, from netty-tcnative) where its native library loads, the
 * JDK's otherwise; {@link #describe} names it.
 */
public final class ServerTls implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
    private static final long POLL_MILLIS = 1_000;

    private final Path certFile;
    private final Path keyFile;
    private final SslProvider provider;
    private final ScheduledExecutorService watcher;
    private volatile Loaded current;
    /** The file contents a failed load was last reported for, so a broken pair is reported once. */
    private byte[][] reportedFailure;

    private record Loaded(SslContext context, X509Certificate[] chain, PrivateKey key, byte[] certBytes, byte[] keyBytes) { }

    private ServerTls(Path certFile, Path keyFile, SslProvider provider, Loaded first) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.provider = provider;
        this.current = first;
        if (certFile != null) {
            watcher = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread t = new Thread(task, "sluice-tls-watch");
                t.setDaemon(true);
                return t;
            });
            watcher.scheduleWithFixedDelay(() -> reloadIfChanged(false), POLL_MILLIS, POLL_MILLIS,
                    TimeUnit.MILLISECONDS);
        } else {
            watcher = null;
        }
    }

    /** The TLS of this configuration, or null when it serves plain HTTP. */
    public static ServerTls open(Config config) {
        if (!config.tls()) {
            return null;
        }
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        if (config.tlsSelfSigned()) {
            LocalCertificate self = LocalCertificate.generate("localhost");
            return new ServerTls(null, null, provider,
                    new Loaded(context(provider, self.key(), self.certificate()),
                            new X509Certificate[] {self.certificate()}, self.key(), null, null));
        }
        Path cert = Path.of(config.tlsCert());
        Path key = Path.of(config.tlsKey());
        byte[] certBytes = read("--tls-cert", cert);
        byte[] keyBytes = read("--tls-key", key);
        return new ServerTls(cert, key, provider, load(provider, certBytes, keyBytes));
    }

    /** A server-side TLS handler for a new connection, with the current certificate. */
    SslHandler newHandler(ByteBufAllocator alloc) {
        return current.context().newHandler(alloc);
    }

    /**
     * The TLS of the HTTP/3 listener: ALPN {@code h3}, and the certificate and key taken from what
     * is served at each handshake (see {@link CurrentKey}), so a rotation reaches new QUIC
     * connections as it reaches new TCP connections, whatever name the client asks for (or none,
     * as for an IP address).
     */
    io.netty.handler.codec.quic.QuicSslContext quicContext() {
        return io.netty.handler.codec.quic.QuicSslContextBuilder.forServer(new CurrentKey(), null)
                .applicationProtocols(io.netty.handler.codec.http3.Http3.supportedApplicationProtocols())
                .build();
    }

    /**
     * A key manager with one entry, the pair served now. QUIC's BoringSSL asks it at every
     * handshake (not once when the context is built), which is what makes the rotation work there.
     */
    private final class CurrentKey extends javax.net.ssl.X509ExtendedKeyManager {
        private static final String ALIAS = "current";

        @Override
        public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers,
                                              javax.net.ssl.SSLEngine engine) {
            return chooseServerAlias(keyType, issuers, null);
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            String algorithm = current.key().getAlgorithm();
            // RSA and EC keys answer the handshake's matching kind only; another kind (Ed25519) is
            // offered whatever is asked, and the handshake says whether the client takes it.
            boolean known = algorithm.equals("RSA") || algorithm.equals("EC");
            return !known || algorithm.equals(keyType) ? ALIAS : null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? current.chain().clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? current.key() : null;
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            String alias = chooseServerAlias(keyType, issuers, null);
            return alias == null ? null : new String[] {alias};
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return null;
        }
    }

    /** The leaf certificate new connections are served. */
    public X509Certificate certificate() {
        return current.chain()[0];
    }

    /** True with a certificate made at start ({@code --tls-self-signed}). */
    public boolean selfSigned() {
        return certFile == null;
    }

    /** {@code OpenSSL (BoringSSL)} or {@code JDK}. */
    public String engine() {
        return provider == SslProvider.OPENSSL ? "OpenSSL (" + OpenSsl.versionString() + ")" : "JDK";
    }

    /** One line for the start-up message: engine, certificate, and a warning when self-signed. */
    public String describe() {
        X509Certificate leaf = certificate();
        String what = "TLS with the " + engine() + " engine, ALPN h2 and http/1.1; certificate "
                + leaf.getSubjectX500Principal().getName() + ", serial " + leaf.getSerialNumber().toString(16)
                + ", valid until " + leaf.getNotAfter().toInstant();
        if (selfSigned()) {
            return what + " -- SELF-SIGNED, made at start for local use only: clients trust it only when told to";
        }
        return what + " (from " + certFile + ", read again when it changes or on SIGHUP)";
    }

    /**
     * Reads the certificate and key files again (SIGHUP) and serves them to new connections when
     * they differ from what is served. Returns true when the certificate changed.
     */
    public boolean reload() {
        return reloadIfChanged(true);
    }

    private synchronized boolean reloadIfChanged(boolean asked) {
        if (certFile == null) {
            if (asked) {
                log.info("TLS: the self-signed certificate is not read from files; nothing to reload");
            }
            return false;
        }
        byte[] certBytes;
        byte[] keyBytes;
        try {
            certBytes = Files.readAllBytes(certFile);
            keyBytes = Files.readAllBytes(keyFile);
        } catch (IOException e) {
            reportOnce(new byte[0][], asked, "cannot read " + e.getMessage());
            return false;
        }
        Loaded old = current;
        if (Arrays.equals(certBytes, old.certBytes()) && Arrays.equals(keyBytes, old.keyBytes())) {
            if (asked) {
                log.info("TLS: {} and {} are unchanged; still serving serial {}", certFile, keyFile,
                        old.chain()[0].getSerialNumber().toString(16));
            }
            return false;
        }
        try {
            Loaded next = load(provider, certBytes, keyBytes);
            current = next;
            reportedFailure = null;
            log.info("TLS: new connections now get certificate {}, serial {}, valid until {} (was serial {})",
                    next.chain()[0].getSubjectX500Principal().getName(), next.chain()[0].getSerialNumber().toString(16),
                    next.chain()[0].getNotAfter().toInstant(), old.chain()[0].getSerialNumber().toString(16));
            return true;
        } catch (ConfigException e) {
            reportOnce(new byte[][] {certBytes, keyBytes}, asked, e.getMessage());
            return false;
        }
    }

    private void reportOnce(byte[][] contents, boolean asked, String why) {
        if (asked || reportedFailure == null || !Arrays.deepEquals(reportedFailure, contents)) {
            reportedFailure = contents;
            log.warn("TLS: keeping the current certificate (serial {}): {}",
                    current.chain()[0].getSerialNumber().toString(16), why);
        }
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }

    private static byte[] read(String option, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(option, "cannot read " + file + ": " + e);
        }
    }

    private static Loaded load(SslProvider provider, byte[] certBytes, byte[] keyBytes) {
        X509Certificate[] chain = certificates(certBytes);
        PrivateKey key = privateKey(keyBytes);
        if (!matches(key, chain[0])) {
            throw new ConfigException("--tls-key", "the key does not belong to the certificate in --tls-cert ("
                    + chain[0].getSubjectX500Principal().getName() + "): give the key the certificate was made for");
        }
        return new Loaded(context(provider, key, chain), chain, key, certBytes, keyBytes);
    }

    private static SslContext context(SslProvider provider, PrivateKey key, X509Certificate... chain) {
        try {
            return SslContextBuilder.forServer(key, chain)
                    .sslProvider(provider)
                    // The cipher suites HTTP/2 allows (RFC 7540, appendix A lists those it forbids).
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            throw new ConfigException("--tls-cert", "the certificate and key cannot serve TLS: " + e.getMessage());
        }
    }

    private static X509Certificate[] certificates(byte[] pem) {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(new String(pem, java.nio.charset.StandardCharsets.US_ASCII)))) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof X509CertificateHolder holder) {
                    out.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new ConfigException("--tls-cert", "is not a PEM certificate chain: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new ConfigException("--tls-cert", "holds no certificate: expected PEM blocks"
                    + " '-----BEGIN CERTIFICATE-----', the server's certificate first");
        }
        return out.toArray(X509Certificate[]::new);
    }

    private static PrivateKey privateKey(byte[] pem) {
        try (PEMParser parser = new PEMParser(new StringReader(new String(pem, java.nio.charset.StandardCharsets.US_ASCII)))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw new ConfigException("--tls-key", "is encrypted; give an unencrypted key"
                            + " (e.g. openssl pkey -in KEY -out plain.pem) and protect the file instead");
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException ce) {
                throw ce;
            }
            throw new ConfigException("--tls-key", "is not a PEM private key: " + e.getMessage());
        }
        throw new ConfigException("--tls-key", "holds no private key: expected a PEM block such as"
                + " '-----BEGIN PRIVATE KEY-----'");
    }

    /** Does the key sign what the certificate's public key verifies? */
    private static boolean matches(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null || !key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())
                && !(algorithm.startsWith("Ed") && cert.getPublicKey().getAlgorithm().startsWith("Ed"))) {
            return algorithm == null; // a kind this check does not know: the handshake will tell
        }
        try {
            byte[] probe = "sluice key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
